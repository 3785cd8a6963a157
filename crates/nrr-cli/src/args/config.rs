//! `nrr.toml`, the configuration file that pins what a figure depends on (docs/config.md):
//! found beside the data or given with `--config`, parsed once, with the line of every key,
//! into a typed [`Config`] that [`super::resolve`] layers between the flags and the preset.
//! A wrong key or value is a [`ConfigError`] naming the file, line and key (exit 2).

use nrr_core::money::Decimal;
use nrr_core::policy::presets::Preset;
use nrr_core::policy::{
    ChurnRecognition, Discounts, FullRefunds, PastDue, Pauses, Reactivation, SnapshotDate,
};
use std::fmt;
use std::path::{Path, PathBuf};
use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

/// The name of the file looked for beside the data.
pub(crate) const FILE_NAME: &str = "nrr.toml";

/// A value of the file and the 1-based line it is written on.
#[derive(Clone, Debug)]
pub(crate) struct At<T> {
    /// The typed value.
    pub value: T,
    /// Its line in the file.
    pub line: usize,
}

/// A review role (`[review] roles`): who signs the official number off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    /// Validates the classification and the policies.
    Finance,
    /// Reviews the major churn and contraction accounts.
    Success,
    /// Checks the segment shifts.
    Marketing,
}

impl Role {
    /// Every role, in the order of the review ritual.
    pub(crate) const ALL: [Role; 3] = [Role::Finance, Role::Success, Role::Marketing];

    /// The role's name in the file and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Finance => "finance",
            Role::Success => "success",
            Role::Marketing => "marketing",
        }
    }
}

/// `[policies]`: a preset and the policies that override it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConfigPolicies {
    pub preset: Option<At<&'static Preset>>,
    pub churn_recognition: Option<At<ChurnRecognition>>,
    pub discounts: Option<At<Discounts>>,
    pub past_due: Option<At<PastDue>>,
    pub pauses: Option<At<Pauses>>,
    pub full_refunds: Option<At<FullRefunds>>,
    pub reactivation: Option<At<Reactivation>>,
    pub snapshot_date: Option<At<SnapshotDate>>,
}

/// `[review]`: what the review of a release asks of whom (read by publishing).
#[derive(Clone, Debug, Default)]
pub(crate) struct ConfigReview {
    pub roles: Option<At<Vec<Role>>>,
    pub churn_threshold: Option<At<Decimal>>,
    pub segment_shift_threshold: Option<At<Decimal>>,
}

/// The whole file, typed. Every key is optional: what the file leaves out falls to the
/// preset and the defaults.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    /// The path read, as found or given.
    pub path: PathBuf,
    /// Its file name, as the report's sources name it (`config (nrr.toml:3)`).
    pub name: String,
    pub currency: Option<At<String>>,
    pub source: Option<At<nrr_io::Source>>,
    pub timezone: Option<At<nrr_io::Timezone>>,
    pub fiscal_year_start: Option<At<u32>>,
    pub as_of: Option<At<nrr_core::date::Date>>,
    pub segments: Option<At<Vec<String>>>,
    pub concentration: Option<At<Decimal>>,
    pub gross_margin: Option<At<Decimal>>,
    pub policies: ConfigPolicies,
    pub review: ConfigReview,
}

/// A wrong key or value in the file: `data/nrr.toml:7: unknown key ...` (a usage error).
#[derive(Debug)]
pub(crate) struct ConfigError {
    /// The file, as found or given.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong, starting with the key.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The keys of the top level, of `[policies]` and of `[review]`, in the order of docs/config.md.
pub(crate) const TOP_KEYS: [&str; 10] = [
    "currency",
    "source",
    "timezone",
    "fiscal_year_start",
    "as_of",
    "segments",
    "concentration",
    "gross_margin",
    "policies",
    "review",
];
pub(crate) const POLICY_KEYS: [&str; 8] = [
    "preset",
    "churn_recognition",
    "discounts",
    "past_due",
    "pauses",
    "full_refunds",
    "reactivation",
    "snapshot_date",
];
pub(crate) const REVIEW_KEYS: [&str; 3] = ["roles", "churn_threshold", "segment_shift_threshold"];

/// The file to read: `--config FILE`, else `nrr.toml` in DATA's directory (DATA itself when it
/// is a directory) unless `--no-config`. `None`: no file.
pub(crate) fn find(given: Option<&Path>, no_config: bool, data: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    if no_config {
        return None;
    }
    let data = data?;
    let dir = if data.is_dir() {
        data
    } else {
        data.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    let path = dir.join(FILE_NAME);
    path.is_file().then_some(path)
}

/// Reads and parses the file at `path`.
pub(crate) fn read(path: &Path) -> anyhow::Result<Config> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration {}", path.display()))?;
    Ok(parse(&text, path)?)
}

/// Parses the text of the file at `path` (named in errors).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let doc = Doc {
        text,
        path: path.display().to_string(),
    };
    let table = DeTable::parse(text).map_err(|e| {
        // The text the parser points at (a duplicated key's name), when it is short.
        let at = e
            .span()
            .and_then(|s| text.get(s))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.chars().count() <= 40 && !t.contains('\n'));
        let message = e.message().trim();
        ConfigError {
            path: doc.path.clone(),
            line: doc.line(e.span().map_or(0, |s| s.start)),
            message: match at {
                Some(t) => format!("{message} `{}`", nrr_io::printable(t)),
                None => message.to_string(),
            },
        }
    })?;
    let mut config = Config {
        path: path.to_path_buf(),
        name: path.file_name().map_or_else(
            || FILE_NAME.to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        ..Config::default()
    };
    for (key, value) in doc.entries(table.get_ref(), None, &TOP_KEYS)? {
        let v = Val {
            doc: &doc,
            key,
            value,
        };
        match key {
            "currency" => config.currency = Some(v.currency()?),
            "source" => config.source = Some(v.source()?),
            "timezone" => config.timezone = Some(v.timezone()?),
            "fiscal_year_start" => config.fiscal_year_start = Some(v.month_of_year()?),
            "as_of" => config.as_of = Some(v.date()?),
            "segments" => config.segments = Some(v.strings("an array of column names")?),
            "concentration" => config.concentration = Some(v.fraction()?),
            "gross_margin" => config.gross_margin = Some(v.fraction()?),
            "policies" => config.policies = policies(&doc, v.table()?)?,
            _ => config.review = review(&doc, v.table()?)?,
        }
    }
    Ok(config)
}

fn policies(doc: &Doc<'_>, table: &DeTable<'_>) -> Result<ConfigPolicies, ConfigError> {
    let mut p = ConfigPolicies::default();
    for (key, value) in doc.entries(table, Some("policies"), &POLICY_KEYS)? {
        let v = Val {
            doc,
            key: &format!("policies.{key}"),
            value,
        };
        match key {
            "preset" => {
                p.preset = Some(v.parsed(
                    "chartmogul, profitwell, baremetrics, stripe, maxio or dbt",
                    nrr_core::policy::presets::preset,
                )?);
            }
            "churn_recognition" => {
                p.churn_recognition = Some(v.parsed(
                    "at-period-end, at-cancellation or at-request",
                    |s| match s {
                        "at-period-end" => Some(ChurnRecognition::AtPeriodEnd),
                        "at-cancellation" => Some(ChurnRecognition::AtCancellation),
                        "at-request" => Some(ChurnRecognition::AtRequest),
                        _ => None,
                    },
                )?);
            }
            "discounts" => {
                p.discounts = Some(v.parsed("all, forever-only or none", |s| match s {
                    "all" => Some(Discounts::All),
                    "forever-only" => Some(Discounts::ForeverOnly),
                    "none" => Some(Discounts::None),
                    _ => None,
                })?);
            }
            "past_due" => {
                p.past_due =
                    Some(v.parsed("keep:N (N days, 0 to 3650), keep or churn", PastDue::parse)?);
            }
            "pauses" => {
                p.pauses = Some(v.parsed("keep, churn or zero", |s| match s {
                    "keep" => Some(Pauses::Keep),
                    "churn" => Some(Pauses::Churn),
                    "zero" => Some(Pauses::Zero),
                    _ => None,
                })?);
            }
            "full_refunds" => {
                p.full_refunds = Some(v.parsed("ignore or end-service", |s| match s {
                    "ignore" => Some(FullRefunds::Ignore),
                    "end-service" => Some(FullRefunds::EndService),
                    _ => None,
                })?);
            }
            "reactivation" => {
                p.reactivation = Some(v.parsed(
                    "any-gap, window:N (N months) or as-expansion",
                    Reactivation::parse,
                )?);
            }
            _ => p.snapshot_date = Some(v.parsed("close or open", SnapshotDate::parse)?),
        }
    }
    Ok(p)
}

fn review(doc: &Doc<'_>, table: &DeTable<'_>) -> Result<ConfigReview, ConfigError> {
    let mut r = ConfigReview::default();
    for (key, value) in doc.entries(table, Some("review"), &REVIEW_KEYS)? {
        let v = Val {
            doc,
            key: &format!("review.{key}"),
            value,
        };
        match key {
            "roles" => r.roles = Some(v.roles()?),
            "churn_threshold" => {
                r.churn_threshold = Some(v.decimal(
                    "an amount of the reporting currency >= 0, like \"1000.00\"",
                    |d| !d.is_negative(),
                )?);
            }
            _ => r.segment_shift_threshold = Some(v.fraction()?),
        }
    }
    Ok(r)
}

/// The file's text and its path, to turn byte offsets into lines.
struct Doc<'a> {
    text: &'a str,
    path: String,
}

type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);

impl Doc<'_> {
    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        1 + self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn error(&self, offset: usize, message: String) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: self.line(offset),
            message,
        }
    }

    /// The entries of `table` in file order, each key one of `known` (else an error naming
    /// it and the table).
    fn entries<'t, 'i>(
        &self,
        table: &'t DeTable<'i>,
        name: Option<&str>,
        known: &[&'static str],
    ) -> Result<Vec<(&'static str, &'t Spanned<DeValue<'i>>)>, ConfigError> {
        let mut entries: Vec<Entry<'t, 'i>> = table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(k, v)| {
                let key = known.iter().find(|n| **n == k.get_ref().as_ref());
                key.map(|key| (*key, v)).ok_or_else(|| {
                    let within = name.map_or_else(String::new, |n| format!(" in [{n}]"));
                    self.error(
                        k.span().start,
                        format!(
                            "unknown key \"{}\"{within} (expected one of: {})",
                            k.get_ref().escape_debug(),
                            known.join(", ")
                        ),
                    )
                })
            })
            .collect()
    }
}

/// One value of the file, with its key for messages.
struct Val<'a, 't, 'i> {
    doc: &'a Doc<'a>,
    key: &'a str,
    value: &'t Spanned<DeValue<'i>>,
}

impl<'t, 'i> Val<'_, 't, 'i> {
    fn at<T>(&self, value: T) -> At<T> {
        At {
            value,
            line: self.doc.line(self.value.span().start),
        }
    }

    /// The value as written in the file (quotes included), for messages.
    fn raw(&self) -> String {
        let span = self.value.span();
        let raw = self.doc.text.get(span).unwrap_or("").trim();
        let mut shown: String = raw.chars().take(60).collect();
        if shown.len() < raw.len() {
            shown.push_str("...");
        }
        nrr_io::printable(&shown).into_owned()
    }

    fn wrong(&self, expected: &str) -> ConfigError {
        let kind = match self.value.get_ref() {
            DeValue::String(_) => "",
            DeValue::Integer(_) => "an integer ",
            DeValue::Float(_) => "a float ",
            DeValue::Boolean(_) => "a boolean ",
            DeValue::Datetime(_) => "a date ",
            DeValue::Array(_) => "an array ",
            DeValue::Table(_) => "a table ",
        };
        self.doc.error(
            self.value.span().start,
            format!(
                "{}: expected {expected}, found {kind}{}",
                self.key,
                self.raw()
            ),
        )
    }

    fn string(&self, expected: &str) -> Result<&'t str, ConfigError> {
        match self.value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            _ => Err(self.wrong(expected)),
        }
    }

    /// A string that `parse` turns into a value (`expected` names the values it takes).
    fn parsed<T>(
        &self,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<At<T>, ConfigError> {
        let s = self.string(expected)?;
        parse(s)
            .map(|v| self.at(v))
            .ok_or_else(|| self.wrong(expected))
    }

    fn currency(&self) -> Result<At<String>, ConfigError> {
        self.parsed("a 3-letter code", |s| {
            (s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())).then(|| s.to_string())
        })
    }

    fn source(&self) -> Result<At<nrr_io::Source>, ConfigError> {
        use nrr_io::Source::*;
        self.parsed("items, mrr, invoices, stripe or snapshots", |s| {
            [Items, Mrr, Invoices, Stripe, Snapshots]
                .into_iter()
                .find(|k| k.name() == s)
        })
    }

    fn timezone(&self) -> Result<At<nrr_io::Timezone>, ConfigError> {
        self.parsed(
            "UTC, an offset like +02:00 or an IANA zone like Europe/Paris",
            nrr_io::Timezone::parse,
        )
    }

    /// A date, as a TOML date (`2025-12-31`) or a string (`"2025-12-31"`).
    fn date(&self) -> Result<At<nrr_core::date::Date>, ConfigError> {
        const EXPECTED: &str = "a date YYYY-MM-DD";
        let d = match self.value.get_ref() {
            DeValue::String(s) => nrr_core::date::Date::parse(s),
            DeValue::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                nrr_core::date::Date::parse(&d.to_string())
            }
            _ => None,
        };
        d.map(|d| self.at(d)).ok_or_else(|| self.wrong(EXPECTED))
    }

    fn month_of_year(&self) -> Result<At<u32>, ConfigError> {
        const EXPECTED: &str = "a month of the year, 1-12 or \"jan\"..\"dec\"";
        let n = match self.value.get_ref() {
            DeValue::Integer(i) => i
                .as_str()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=12).contains(n)),
            DeValue::String(s) => super::parse_month_of_year(s).ok(),
            _ => None,
        };
        n.map(|n| self.at(n)).ok_or_else(|| self.wrong(EXPECTED))
    }

    /// A decimal written as a number or a string (`0.8` or `"0.8"`), read exactly from its
    /// text, for which `ok` holds.
    fn decimal(
        &self,
        expected: &str,
        ok: impl Fn(Decimal) -> bool,
    ) -> Result<At<Decimal>, ConfigError> {
        let text = match self.value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str()),
            DeValue::Float(f) => Some(f.as_str()),
            _ => None,
        };
        text.map(|t| t.replace('_', ""))
            .and_then(|t| Decimal::parse(&t, 6))
            .filter(|d| ok(*d))
            .map(|d| self.at(d))
            .ok_or_else(|| self.wrong(expected))
    }

    fn fraction(&self) -> Result<At<Decimal>, ConfigError> {
        self.decimal(
            "a fraction between 0 and 1 (like 0.8) with at most 6 decimals",
            |d| !d.is_negative() && d.mantissa <= 10i64.pow(d.decimals),
        )
    }

    fn strings(&self, expected: &str) -> Result<At<Vec<String>>, ConfigError> {
        let DeValue::Array(items) = self.value.get_ref() else {
            return Err(self.wrong(expected));
        };
        let mut out = Vec::new();
        for item in items {
            let v = Val {
                doc: self.doc,
                key: self.key,
                value: item,
            };
            out.push(v.string(expected)?.to_string());
        }
        Ok(self.at(out))
    }

    fn roles(&self) -> Result<At<Vec<Role>>, ConfigError> {
        const EXPECTED: &str = "an array of roles: finance, success, marketing";
        let names = self.strings(EXPECTED)?;
        // A release nobody signs off would go final unreviewed.
        if names.value.is_empty() {
            return Err(self.doc.error(
                self.value.span().start,
                format!(
                    "{}: at least one role signs a release off, found []",
                    self.key
                ),
            ));
        }
        let mut roles = Vec::new();
        for name in &names.value {
            let role = Role::ALL.into_iter().find(|r| r.name() == name);
            match role {
                Some(r) if !roles.contains(&r) => roles.push(r),
                Some(_) => {
                    return Err(self.doc.error(
                        self.value.span().start,
                        format!("{}: role \"{name}\" is listed twice", self.key),
                    ))
                }
                None => {
                    return Err(self.doc.error(
                        self.value.span().start,
                        format!(
                            "{}: unknown role \"{}\" (expected finance, success or marketing)",
                            self.key,
                            name.escape_debug()
                        ),
                    ))
                }
            }
        }
        Ok(At {
            value: roles,
            line: names.line,
        })
    }

    fn table(&self) -> Result<&'t DeTable<'i>, ConfigError> {
        match self.value.get_ref() {
            DeValue::Table(t) => Ok(t),
            _ => Err(self.wrong("a table")),
        }
    }
}
