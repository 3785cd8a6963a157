//! Field access with JSON paths (every rejection names the path of its field), Stripe's
//! minor currency units and timestamps read as dates.

use crate::error::RejectionKind::{self, *};
use crate::Timezone;
use nrr_core::date::Date;
use nrr_core::money::Decimal;
use serde_json::Value;

/// Stripe's zero-decimal currencies: amounts are whole units
/// (https://docs.stripe.com/currencies#zero-decimal).
pub(super) const ZERO_DECIMAL: [&str; 16] = [
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Stripe's three-decimal currencies: amounts are thousandths.
pub(super) const THREE_DECIMAL: [&str; 5] = ["BHD", "JOD", "KWD", "OMR", "TND"];

/// Decimal places of a currency's minor unit.
pub(super) fn minor_places(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) {
        0
    } else if THREE_DECIMAL.contains(&currency) {
        3
    } else {
        2
    }
}

/// Minor units of `currency` as a decimal amount in major units.
pub(super) fn major(minor: i64, currency: &str) -> Decimal {
    Decimal {
        mantissa: minor,
        decimals: minor_places(currency),
    }
}

/// The date of a Unix timestamp in `tz` (at the offset in force at that instant).
pub(super) fn date_of(ts: i64, tz: &Timezone) -> Date {
    let local = ts.saturating_add(i64::from(tz.offset_at(ts)));
    Date::from_days(local.div_euclid(86_400) as i32)
}

// ---------------------------------------------------------------------------------------------
// Field access with JSON paths

/// A bad field: its JSON path in the object, its value as JSON, what it must hold, and the
/// kind of problem.
pub(super) struct Bad {
    pub(super) path: String,
    pub(super) value: String,
    pub(super) expected: String,
    pub(super) kind: RejectionKind,
}

/// A bad field at `path`: `v` (absent or null: `None`) is not what it must hold. `kind` is
/// the kind of a value that is there; an absent one is a missing value.
pub(super) fn bad(
    path: &str,
    v: Option<&Value>,
    kind: RejectionKind,
    expected: impl Into<String>,
) -> Bad {
    Bad {
        path: path.to_string(),
        value: v.map_or_else(String::new, Value::to_string),
        expected: expected.into(),
        kind: if v.is_some() { kind } else { MissingValue },
    }
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The field, `None` when absent or null.
pub(super) fn field<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get(key).filter(|x| !x.is_null())
}

pub(super) fn opt_str<'v>(v: &'v Value, path: &str, key: &str) -> Result<Option<&'v str>, Bad> {
    match field(v, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(x) => Err(bad(&join(path, key), Some(x), Other, "a string")),
    }
}

pub(super) fn req_str<'v>(v: &'v Value, path: &str, key: &str, what: &str) -> Result<&'v str, Bad> {
    match opt_str(v, path, key)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(bad(
            &join(path, key),
            field(v, key),
            MissingValue,
            format!("{what} (required)"),
        )),
    }
}

/// An id field that may be expanded into an object with an `id`.
pub(super) fn id_of<'v>(v: &'v Value, path: &str, key: &str, what: &str) -> Result<&'v str, Bad> {
    match field(v, key) {
        Some(Value::Object(_)) => req_str(&v[key], &join(path, key), "id", what),
        _ => req_str(v, path, key, what),
    }
}

/// An optional id field that may be expanded into an object with an `id`.
pub(super) fn opt_id<'v>(
    v: &'v Value,
    path: &str,
    key: &str,
    what: &str,
) -> Result<Option<&'v str>, Bad> {
    match field(v, key) {
        Some(Value::Object(_)) => id_of(v, path, key, what).map(Some),
        _ => opt_str(v, path, key),
    }
}

/// An integer >= 0, or `None`; `what` and `kind` say what a bad value should have been.
pub(super) fn opt_int(
    v: &Value,
    path: &str,
    key: &str,
    kind: RejectionKind,
    what: &str,
) -> Result<Option<i64>, Bad> {
    match field(v, key) {
        None => Ok(None),
        Some(x) => match x.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            _ => Err(bad(&join(path, key), Some(x), kind, what)),
        },
    }
}

pub(super) const TS: &str = "a Unix timestamp in seconds (an integer >= 0)";

/// The latest timestamp read: 2999-12-31T23:59:59Z. A later one (253402300799,
/// 9999-12-31T23:59:59Z, is a common "never") is no billing date, and the billing periods
/// and windows after it would not fit the calendar (years 1 to 9999).
pub(super) const MAX_TS: i64 = 32_503_679_999;

pub(super) fn opt_ts(v: &Value, path: &str, key: &str) -> Result<Option<i64>, Bad> {
    match opt_int(v, path, key, BadDate, TS)? {
        Some(t) if t > MAX_TS => Err(bad(
            &join(path, key),
            field(v, key),
            BadDate,
            format!(
                "a Unix timestamp in seconds up to {MAX_TS} (2999-12-31T23:59:59Z); for no \
                 date at all, leave it null"
            ),
        )),
        t => Ok(t),
    }
}

pub(super) fn opt_bool(v: &Value, path: &str, key: &str) -> Result<bool, Bad> {
    match field(v, key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(x) => Err(bad(&join(path, key), Some(x), Other, "true or false")),
    }
}

pub(super) fn currency(v: &Value, path: &str, key: &str) -> Result<Option<String>, Bad> {
    match opt_str(v, path, key)? {
        None => Ok(None),
        Some(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(s.to_ascii_uppercase()))
        }
        Some(_) => Err(bad(
            &join(path, key),
            field(v, key),
            BadCurrency,
            "a three-letter ISO currency code like \"usd\"",
        )),
    }
}

/// The elements of a Stripe list (`{"data": [...]}`) or a plain array at `key`.
pub(super) fn list<'v>(
    v: &'v Value,
    path: &str,
    key: &str,
) -> Result<(Vec<&'v Value>, String), Bad> {
    let p = join(path, key);
    match field(v, key) {
        None => Ok((Vec::new(), p)),
        Some(Value::Array(a)) => Ok((a.iter().collect(), p)),
        Some(Value::Object(o)) => match o.get("data") {
            Some(Value::Array(a)) => Ok((a.iter().collect(), format!("{p}.data"))),
            x => Err(bad(&format!("{p}.data"), x, Other, "an array of objects")),
        },
        Some(x) => Err(bad(
            &p,
            Some(x),
            Other,
            "a list object {\"data\": [...]} or an array",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::decimal::dec_str;

    #[test]
    fn timestamps_are_dates_at_the_offset() {
        // 2024-01-31T23:30:00Z.
        let ts = 1_706_743_800;
        let at = |o: i32| date_of(ts, &Timezone::fixed(o)).to_string();
        assert_eq!(at(0), "2024-01-31");
        assert_eq!(at(3600), "2024-02-01");
        assert_eq!(at(-3600), "2024-01-31");
    }

    /// Europe/Paris is +01:00 until 2024-03-31T01:00Z and from 2024-10-27T01:00Z, +02:00
    /// between: 22:30Z is the same day in winter and the next day in summer, which no fixed
    /// offset gets right on both sides of a change.
    #[test]
    fn named_zones_follow_daylight_saving() {
        let paris = Timezone::parse("Europe/Paris").unwrap();
        let day = |ts: i64, tz: &Timezone| date_of(ts, tz).to_string();
        let (winter, summer) = (Timezone::fixed(3600), Timezone::fixed(7200));
        // The day before the spring change (22:30Z = 23:30 CET): still 03-30.
        let before_spring = 1_711_837_800; // 2024-03-30T22:30:00Z
        assert_eq!(day(before_spring, &paris), "2024-03-30");
        assert_eq!(day(before_spring, &summer), "2024-03-31");
        // The day of the change (22:30Z = 00:30 CEST): already 04-01, another month.
        let after_spring = 1_711_924_200; // 2024-03-31T22:30:00Z
        assert_eq!(day(after_spring, &paris), "2024-04-01");
        assert_eq!(day(after_spring, &winter), "2024-03-31");
        assert_eq!(day(after_spring, &Timezone::default()), "2024-03-31");
        // The day before the autumn change (22:30Z = 00:30 CEST): the next day.
        let before_autumn = 1_729_981_800; // 2024-10-26T22:30:00Z
        assert_eq!(day(before_autumn, &paris), "2024-10-27");
        assert_eq!(day(before_autumn, &winter), "2024-10-26");
        // The day of the change (22:30Z = 23:30 CET): the same day.
        let after_autumn = 1_730_068_200; // 2024-10-27T22:30:00Z
        assert_eq!(day(after_autumn, &paris), "2024-10-27");
        assert_eq!(day(after_autumn, &summer), "2024-10-28");
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(dec_str(major(1000, "USD")), "10.00");
        assert_eq!(dec_str(major(1000, "JPY")), "1000");
        assert_eq!(dec_str(major(1000, "KWD")), "1.000");
    }
}
