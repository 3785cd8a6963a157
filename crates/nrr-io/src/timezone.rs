//! `--timezone`: the zone in which Stripe timestamps (Unix seconds) are read as dates.
//!
//! `UTC`, a fixed offset (`+02:00`), or an IANA zone name (`Europe/Paris`) whose offset is
//! looked up per timestamp, so daylight saving is followed. Zone rules come from the copy of
//! the tz database bundled into the binary (`jiff` with `tzdb-bundle-always`): the same dates
//! on every machine, whatever its system zoneinfo.

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A time zone for `--timezone`.
#[derive(Clone, Debug)]
pub struct Timezone(Kind);

#[derive(Clone, Debug)]
enum Kind {
    /// Seconds east of UTC.
    Fixed(i32),
    /// An IANA zone, with its canonical name.
    Named(String, TimeZone),
}

impl Default for Timezone {
    /// UTC.
    fn default() -> Self {
        Timezone(Kind::Fixed(0))
    }
}

impl Timezone {
    /// Parses `UTC` (or `Z`), a fixed offset `+HH:MM` / `-HH:MM` (at most 14 hours) or an
    /// IANA zone name (`Europe/Paris`, `America/New_York`). `None` for anything else.
    pub fn parse(s: &str) -> Option<Timezone> {
        if s == "UTC" || s == "Z" {
            return Some(Timezone::default());
        }
        if s.starts_with(['+', '-']) {
            return parse_offset(s).map(|o| Timezone(Kind::Fixed(o)));
        }
        let tz = TimeZone::get(s).ok().filter(|tz| !tz.is_unknown())?;
        if tz == TimeZone::UTC {
            return Some(Timezone::default());
        }
        let name = tz.iana_name().unwrap_or(s).to_string();
        Some(Timezone(Kind::Named(name, tz)))
    }

    /// A fixed offset in seconds east of UTC.
    pub fn fixed(offset_seconds: i32) -> Timezone {
        Timezone(Kind::Fixed(offset_seconds))
    }

    /// Whether this is UTC itself (`UTC`, `Z`, `+00:00`), the default.
    pub fn is_utc(&self) -> bool {
        matches!(self.0, Kind::Fixed(0))
    }

    /// The offset east of UTC, in seconds, in force at Unix time `ts`.
    pub fn offset_at(&self, ts: i64) -> i32 {
        match &self.0 {
            Kind::Fixed(o) => *o,
            Kind::Named(_, tz) => {
                // Beyond the years -9999..9999 the offset at the nearest supported instant.
                let t = ts.clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
                let t = Timestamp::from_second(t).unwrap_or(Timestamp::UNIX_EPOCH);
                tz.to_offset(t).seconds()
            }
        }
    }
}

impl std::fmt::Display for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Kind::Fixed(0) => f.write_str("UTC"),
            Kind::Fixed(o) => {
                let sign = if *o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
            }
            Kind::Named(name, _) => f.write_str(name),
        }
    }
}

/// `+HH:MM` / `-HH:MM`, at most 14 hours: seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let num = |x: &[u8]| -> Option<i32> {
        x.iter().try_fold(0i32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let (h, m) = (num(&b[1..3])?, num(&b[4..6])?);
    (h <= 14 && m < 60 && h * 60 + m <= 14 * 60).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(s: &str) -> Option<i32> {
        Timezone::parse(s).map(|t| t.offset_at(0))
    }

    #[test]
    fn utc_and_fixed_offsets() {
        assert_eq!(offset("UTC"), Some(0));
        assert_eq!(offset("Z"), Some(0));
        assert_eq!(offset("+02:00"), Some(7200));
        assert_eq!(offset("-05:30"), Some(-19800));
        assert_eq!(offset("+14:00"), Some(50400));
        assert_eq!(offset("+14:30"), None);
        assert_eq!(offset("+2:00"), None);
        assert_eq!(offset("utc+2"), None);
        assert_eq!(offset("Europe/Nowhere"), None);
        assert_eq!(offset(""), None);
        assert_eq!(offset("Etc/Unknown"), None);
        assert!(Timezone::parse("utc").unwrap().is_utc());
        assert!(Timezone::parse("+00:00").unwrap().is_utc());
        assert!(!Timezone::parse("Europe/London").unwrap().is_utc());
        assert_eq!(Timezone::parse("-05:30").unwrap().to_string(), "-05:30");
        assert_eq!(Timezone::parse("Z").unwrap().to_string(), "UTC");
    }

    /// Europe/Paris is +01:00 in winter and +02:00 in summer: clocks went forward at
    /// 2024-03-31T01:00:00Z and back at 2024-10-27T01:00:00Z.
    #[test]
    fn named_zones_follow_daylight_saving() {
        let paris = Timezone::parse("Europe/Paris").unwrap();
        assert_eq!(paris.to_string(), "Europe/Paris");
        let spring = 1_711_846_800; // 2024-03-31T01:00:00Z
        assert_eq!(paris.offset_at(spring - 1), 3600);
        assert_eq!(paris.offset_at(spring), 7200);
        let autumn = 1_729_990_800; // 2024-10-27T01:00:00Z
        assert_eq!(paris.offset_at(autumn - 1), 7200);
        assert_eq!(paris.offset_at(autumn), 3600);
        // America/New_York: -05:00 in January, -04:00 in July.
        let ny = Timezone::parse("America/New_York").unwrap();
        assert_eq!(ny.offset_at(1_704_067_200), -5 * 3600); // 2024-01-01T00:00:00Z
        assert_eq!(ny.offset_at(1_719_792_000), -4 * 3600); // 2024-07-01T00:00:00Z
                                                            // Far outside the supported years: the nearest instant's offset, no panic.
        assert_eq!(
            paris.offset_at(i64::MAX),
            paris.offset_at(Timestamp::MAX.as_second())
        );
    }
}
