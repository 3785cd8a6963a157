//! `nrr.toml` (docs/config.md): the precedence flag > file > preset > default, the echo of
//! every setting's source, the errors that name file, line and key, `--config`,
//! `--no-config`, and `nrr init` (its output, and the round trip: a file it writes gives the
//! report of no file).

use super::{nrr, nrr_in, Run};
use crate::util::{copy_dir, fixture_args, fixtures_dir};
use serde_json::Value;
use tempfile::TempDir;

/// A temporary directory holding `data/`, a copy of the fixture `name`.
fn fixture(name: &str) -> TempDir {
    let tmp = tempfile::tempdir().expect("temporary directory");
    copy_dir(&fixtures_dir().join(name), &tmp.path().join("data"));
    tmp
}

/// Writes `data/nrr.toml`.
fn config(tmp: &TempDir, text: &str) {
    std::fs::write(tmp.path().join("data/nrr.toml"), text).expect("writing nrr.toml");
}

/// `nrr report data --from 2024-01 --to 2024-06 --format json <extra>` in `tmp`.
fn report(tmp: &TempDir, extra: &[&str]) -> Value {
    let mut args = vec![
        "report", "data", "--from", "2024-01", "--to", "2024-06", "--format", "json",
    ];
    args.extend_from_slice(extra);
    let run = nrr_in(tmp.path(), &args);
    run.assert_code(0);
    run.json()
}

/// The echoed value and source of setting `key`.
fn setting(j: &Value, key: &str) -> (String, String) {
    let s = j["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no setting {key}: {j}"));
    let text = |k: &str| s[k].as_str().expect("a string").to_string();
    (text("value"), text("source"))
}

/// February 2024's (new, reactivation) in fixture `reactivation_any_gap`: the customer back
/// after one month at zero is reactivation under `any-gap` (`0.00`, `80.00`) and new business
/// under `window:3` (`80.00`, `0.00`), as the fixtures' hand-checked expected.json say
/// (reactivation_any_gap/NOTES.md).
fn february(j: &Value) -> (String, String) {
    let m = &j["months"][1];
    assert_eq!(m["month"], "2024-02");
    let text = |k: &str| m[k].as_str().expect("money").to_string();
    (text("new"), text("reactivation"))
}

const ANY_GAP: (&str, &str) = ("0.00", "80.00");
const WINDOW_3: (&str, &str) = ("80.00", "0.00");

fn pair(p: (&str, &str)) -> (String, String) {
    (p.0.to_string(), p.1.to_string())
}

/// Default: any-gap. The file's preset (maxio: window:3) beats the default; the file's own
/// reactivation beats its preset and a preset given as a flag; a flag beats the file.
#[test]
fn precedence_is_flag_then_file_then_preset_then_default() {
    let tmp = fixture("reactivation_any_gap");
    let j = report(&tmp, &[]);
    assert_eq!(february(&j), pair(ANY_GAP));
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("any-gap".into(), "default".into())
    );

    config(&tmp, "# the maxio preset\n[policies]\npreset = \"maxio\"\n");
    let j = report(&tmp, &[]);
    assert_eq!(february(&j), pair(WINDOW_3));
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("window:3".into(), "preset maxio".into())
    );
    assert_eq!(
        setting(&j, "policies.preset"),
        ("maxio".into(), "config (nrr.toml:3)".into())
    );
    assert_eq!(j["policies"]["preset"], "maxio");

    config(
        &tmp,
        "[policies]\npreset = \"maxio\"\nreactivation = \"any-gap\"\n",
    );
    let j = report(&tmp, &[]);
    assert_eq!(february(&j), pair(ANY_GAP));
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("any-gap".into(), "config (nrr.toml:3)".into())
    );

    config(&tmp, "[policies]\nreactivation = \"any-gap\"\n");
    let j = report(&tmp, &["--preset", "maxio"]);
    assert_eq!(february(&j), pair(ANY_GAP));
    assert_eq!(
        setting(&j, "policies.preset"),
        ("maxio".into(), "flag".into())
    );
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("any-gap".into(), "config (nrr.toml:2)".into())
    );

    let j = report(&tmp, &["--reactivation", "window:3"]);
    assert_eq!(february(&j), pair(WINDOW_3));
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("window:3".into(), "flag".into())
    );
}

/// Every setting is echoed, in the order of docs/config.md, with its value and source; the
/// report names the file; figures keys are unchanged.
#[test]
fn json_echoes_every_setting_and_its_source() {
    let tmp = fixture("segments");
    config(
        &tmp,
        "currency = \"USD\"\nsegments = [\"region\"]\ngross_margin = 0.8\n\n[review]\n\
         roles = [\"finance\", \"success\"]\nchurn_threshold = \"250.00\"\n",
    );
    let j = report(&tmp, &["--concentration", "0.5"]);
    assert_eq!(j["config"], "data/nrr.toml");
    let echo: Vec<String> = j["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| format!("{} = {} ({})", s["key"], s["value"], s["source"]))
        .collect();
    insta::assert_snapshot!(echo.join("\n"));
    assert_eq!(j["gross_margin"], "0.8");
    assert_eq!(j["concentration_threshold"], "0.5");
    assert_eq!(j["segments"]["column"], "region");
    // Without a file every source is a flag or the default, and no `config` key.
    let j = report(&tmp, &["--no-config"]);
    assert!(j.get("config").is_none(), "{j}");
    let sources: Vec<&str> = j["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(sources.iter().all(|s| *s == "default" || *s == "flag"));
}

/// The table says in one line where the settings came from.
#[test]
fn table_has_one_line_on_the_settings() {
    let tmp = fixture("segments");
    config(&tmp, "currency = \"USD\"\nsegments = [\"region\"]\n");
    let run = nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--from",
            "2024-01",
            "--to",
            "2024-03",
            "--gross-margin",
            "0.7",
        ],
    );
    run.assert_code(0);
    let text = run.unwrapped();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("settings from"))
        .collect();
    assert_eq!(
        lines,
        ["settings from data/nrr.toml: 2 of 19 (JSON `settings` lists each with its line); from flags: gross_margin"],
        "{}",
        run.transcript()
    );
    // No file, no line: the transcripts of data without nrr.toml do not change.
    let run = nrr_in(tmp.path(), &["report", "data", "--no-config"]);
    assert!(
        !run.stdout.contains("settings from"),
        "{}",
        run.transcript()
    );
}

/// The transcript of `nrr report data` with `text` as data/nrr.toml: exit 2, nothing on
/// stdout, the error on stderr.
fn refused(text: &str) -> String {
    let tmp = fixture("reactivation_any_gap");
    config(&tmp, text);
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.transcript());
    // Every command that reads the data reads the file, and refuses it the same way.
    for cmd in [
        &["check", "data"][..],
        &["movements", "data"],
        &["cohorts", "data"],
        &["lines", "data"],
        &["explain", "data", "--customer", "a"],
    ] {
        let other = nrr_in(tmp.path(), cmd);
        other.assert_code(2);
        assert_eq!(other.stderr, run.stderr, "{cmd:?}");
    }
    run.transcript()
}

#[test]
fn unknown_key_names_file_line_and_key() {
    insta::assert_snapshot!(refused(
        "currency = \"USD\"\n\n[policies]\nchurn_recogniton = \"at-period-end\"\n"
    ));
}

#[test]
fn unknown_top_level_key() {
    insta::assert_snapshot!(refused("currency = \"USD\"\nmargin = 0.8\n"));
}

#[test]
fn wrong_value_type_names_file_line_and_key() {
    insta::assert_snapshot!(refused("segments = \"region\"\n"));
}

#[test]
fn bad_currency_names_file_line_and_key() {
    insta::assert_snapshot!(refused("# reporting currency\n\ncurrency = \"EURO\"\n"));
}

#[test]
fn bad_policy_value_names_file_line_and_key() {
    insta::assert_snapshot!(refused(
        "[policies]\npreset = \"maxio\"\npast_due = \"keep:forever\"\n"
    ));
}

#[test]
fn bad_review_role_names_file_line_and_key() {
    insta::assert_snapshot!(refused("[review]\nroles = [\"finance\", \"sales\"]\n"));
}

/// A TOML syntax error names the file and the line too.
#[test]
fn toml_syntax_error_names_file_and_line() {
    insta::assert_snapshot!(refused("currency = \"USD\"\ngross_margin = \n"));
}

/// A policy pinned in the file is checked as a flag is: items.csv cannot apply `past_due`.
/// The error names the file, line and key that chose it, not a flag never given; given as a
/// flag, the flag.
#[test]
fn a_pinned_policy_the_input_cannot_apply_is_a_usage_error() {
    let tmp = fixture("reactivation_any_gap");
    config(&tmp, "# pinned\n[policies]\npast_due = \"churn\"\n");
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: data/nrr.toml:3: policies.past_due churn: applies to invoices.csv only"
        ),
        "{}",
        run.stderr
    );
    let flag = nrr_in(
        tmp.path(),
        &["report", "data", "--no-config", "--past-due", "churn"],
    );
    flag.assert_code(2);
    assert!(
        flag.stderr.starts_with("error: --past-due churn: applies"),
        "{}",
        flag.stderr
    );
}

/// A segment the file names that the customers lack is named by the file's line and key.
#[test]
fn a_pinned_segment_the_data_lacks_names_file_line_and_key() {
    let tmp = fixture("segments");
    config(&tmp, "currency = \"USD\"\nsegments = [\"tier\"]\n");
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with(
            "error: data/nrr.toml:2: segments `tier`: customers.csv has no such column"
        ),
        "{}",
        run.stderr
    );
}

/// A key written twice is named with its line.
#[test]
fn duplicate_key_names_file_line_and_key() {
    insta::assert_snapshot!(refused("currency = \"USD\"\ncurrency = \"EUR\"\n"));
}

/// `--config FILE` reads that file instead of the one beside the data; its name is in the
/// sources.
#[test]
fn config_flag_points_elsewhere() {
    let tmp = fixture("reactivation_any_gap");
    config(&tmp, "this is not toml\n");
    std::fs::write(
        tmp.path().join("team.toml"),
        "[policies]\nreactivation = \"window:3\"\n",
    )
    .expect("writing team.toml");
    let j = report(&tmp, &["--config", "team.toml"]);
    assert_eq!(j["config"], "team.toml");
    assert_eq!(february(&j), pair(WINDOW_3));
    assert_eq!(
        setting(&j, "policies.reactivation"),
        ("window:3".into(), "config (team.toml:2)".into())
    );
    // A missing --config file is an I/O error (exit 2) naming it.
    let run = nrr_in(tmp.path(), &["report", "data", "--config", "missing.toml"]);
    run.assert_code(2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.transcript());
    // --config and --no-config together are refused by clap.
    nrr_in(
        tmp.path(),
        &["report", "data", "--config", "team.toml", "--no-config"],
    )
    .assert_code(2);
}

/// `--no-config` ignores the file beside the data, even a broken one; a file beside a
/// single data file is found too.
#[test]
fn no_config_ignores_the_file() {
    let tmp = fixture("reactivation_any_gap");
    config(&tmp, "[policies]\nreactivation = \"window:3\"\n");
    assert_eq!(february(&report(&tmp, &["--no-config"])), pair(ANY_GAP));
    let single = nrr_in(
        tmp.path(),
        &[
            "report",
            "data/items.csv",
            "--from",
            "2024-01",
            "--to",
            "2024-06",
            "--format",
            "json",
        ],
    );
    single.assert_code(0);
    assert_eq!(february(&single.json()), pair(WINDOW_3));
    config(&tmp, "not toml at all\n");
    assert_eq!(february(&report(&tmp, &["--no-config"])), pair(ANY_GAP));
}

/// `nrr compare` takes the file's currency but not its policies: each side is its preset.
#[test]
fn compare_keeps_each_preset() {
    let tmp = fixture("reactivation_any_gap");
    config(
        &tmp,
        "currency = \"USD\"\n[policies]\nreactivation = \"as-expansion\"\n",
    );
    let run = nrr_in(
        tmp.path(),
        &[
            "compare",
            "data",
            "--preset",
            "chartmogul",
            "--preset",
            "maxio",
            "--format",
            "json",
        ],
    );
    run.assert_code(0);
    let j = run.json();
    assert_eq!(j["policies"][0]["reactivation"], "any-gap", "{j}");
    assert_eq!(j["policies"][1]["reactivation"], "window:3", "{j}");
    // Each side's settings are echoed with their sources, after the comparison.
    assert_eq!(j["config"], "data/nrr.toml");
    for (side, preset) in [(0, "chartmogul"), (1, "maxio")] {
        let echo = j["settings"][side].as_array().expect("a side's settings");
        let find = |key: &str| echo.iter().find(|s| s["key"] == key).expect(key);
        assert_eq!(find("currency")["source"], "config (nrr.toml:1)");
        assert_eq!(find("policies.preset")["value"], preset);
        assert_eq!(find("policies.preset")["source"], "flag");
    }
}

/// `nrr init` on fixture `segments`: the commented file.
#[test]
fn init_writes_a_commented_file() {
    let tmp = fixture("segments");
    let run = nrr_in(tmp.path(), &["init", "data", "-o", "-"]);
    run.assert_code(0);
    insta::assert_snapshot!(run.transcript());
}

/// `nrr init` writes data/nrr.toml, refuses to overwrite it without --force.
#[test]
fn init_refuses_to_overwrite() {
    let tmp = fixture("segments");
    let first = nrr_in(tmp.path(), &["init", "data"]);
    first.assert_code(0);
    assert_eq!(first.stderr, "wrote data/nrr.toml\n");
    let again = nrr_in(tmp.path(), &["init", "data"]);
    again.assert_code(2);
    insta::assert_snapshot!(again.transcript());
    nrr_in(tmp.path(), &["init", "data", "--force"]).assert_code(0);
    nrr_in(tmp.path(), &["init", "data", "-o", "other.toml"]).assert_code(0);
    assert!(tmp.path().join("other.toml").is_file());
}

/// The report as JSON without the keys that say where the settings came from.
fn figures(run: &Run) -> Value {
    run.assert_code(0);
    let mut j = run.json();
    let obj = j.as_object_mut().expect("an object");
    obj.remove("settings");
    obj.remove("config");
    j
}

/// A file written by `nrr init` and read back gives the report of no file, for every kind
/// of input (items with customers.csv, invoices, snapshots, Stripe, several currencies).
#[test]
fn init_round_trip_gives_the_same_report() {
    for name in [
        "segments",
        "invoices_past_due",
        "snapshots_first_of_month_close",
        "stripe_lifecycle",
        "fx_eur_report_from_usd_rates",
    ] {
        let tmp = fixture(name);
        let args = fixture_args(&fixtures_dir().join(name));
        let mut cmd: Vec<&str> = vec!["report", "data", "--format", "json"];
        cmd.extend(args.iter().map(String::as_str));
        let before = nrr_in(tmp.path(), &cmd);
        nrr_in(tmp.path(), &["init", "data"]).assert_code(0);
        let after = nrr_in(tmp.path(), &cmd);
        let j = after.json();
        assert_eq!(j["config"], "data/nrr.toml", "{name}");
        assert_eq!(figures(&before), figures(&after), "{name}");
    }
}

/// Snapshot rows without a currency are read in the reporting currency: `nrr init` lists the
/// currencies the data names, not an empty one.
#[test]
fn init_lists_only_named_currencies() {
    let tmp = fixture("snapshots_two_currencies");
    nrr_in(tmp.path(), &["init", "data"]).assert_code(0);
    let text = std::fs::read_to_string(tmp.path().join("data/nrr.toml")).expect("nrr.toml");
    assert!(
        text.contains("# The reporting currency (the data has: USD, EUR).\ncurrency = \"USD\""),
        "{text}"
    );
}

/// `--help` of every command that reads data mentions `--config` and `--no-config`.
#[test]
fn help_mentions_config() {
    for cmd in [
        "report",
        "movements",
        "cohorts",
        "explain",
        "check",
        "compare",
        "lines",
    ] {
        let run = nrr(&[cmd, "--help"]);
        run.assert_code(0);
        for needle in ["--config <FILE>", "--no-config"] {
            assert!(run.stdout.contains(needle), "nrr {cmd} --help: {needle}");
        }
    }
}

/// The HTML report lists every setting with where it came from, as the JSON does.
#[test]
fn the_html_report_echoes_the_settings() {
    let tmp = fixture("segments");
    config(&tmp, "currency = \"USD\"\nsegments = [\"segment\"]\n");
    let run = nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--format",
            "html",
            "--concentration",
            "0.5",
        ],
    );
    run.assert_code(0);
    let page = &run.stdout;
    let settings = &page[page.find("id=\"settings\"").expect("a settings table")..];
    let settings = &settings[..settings.find("</table>").expect("its end")];
    for row in [
        "<tr><th>currency</th><td class=\"label\">USD</td><td class=\"label\">config (nrr.toml:1)</td></tr>",
        "<tr><th>segments</th><td class=\"label\">segment</td><td class=\"label\">config (nrr.toml:2)</td></tr>",
        "<tr><th>concentration</th><td class=\"label\">0.5</td><td class=\"label\">flag</td></tr>",
    ] {
        assert!(settings.contains(row), "{row} not in {settings}");
    }
    assert!(page.contains("Read from data/nrr.toml"));
}

/// `as_of` pins the as-of date (a TOML date or a string); `--as-of` wins over it; a bad date
/// names the file, line and key.
#[test]
fn as_of_pins_the_window_and_the_flag_wins() {
    let tmp = fixture("segments");
    let as_of = |j: &Value| {
        (
            j["as_of"]["date"].as_str().expect("a date").to_string(),
            j["window"]["end_month"]
                .as_str()
                .expect("a month")
                .to_string(),
            setting(j, "as_of"),
        )
    };
    config(&tmp, "as_of = 2024-02-15\n");
    let run = nrr_in(tmp.path(), &["report", "data", "--format", "json"]);
    run.assert_code(0);
    assert_eq!(
        as_of(&run.json()),
        (
            "2024-02-15".into(),
            "2024-02".into(),
            ("2024-02-15".into(), "config (nrr.toml:1)".into())
        )
    );
    config(&tmp, "as_of = \"2024-01-31\"\n");
    let run = nrr_in(
        tmp.path(),
        &[
            "report",
            "data",
            "--format",
            "json",
            "--as-of",
            "2024-03-01",
        ],
    );
    assert_eq!(
        as_of(&run.json()),
        (
            "2024-03-01".into(),
            "2024-03".into(),
            ("2024-03-01".into(), "flag".into())
        )
    );
    let run = nrr_in(
        tmp.path(),
        &["report", "data", "--format", "json", "--no-config"],
    );
    assert_eq!(
        as_of(&run.json()).2,
        ("from the data".into(), "default".into())
    );
    config(&tmp, "currency = \"USD\"\nas_of = \"2024-02-30\"\n");
    let bad = nrr_in(tmp.path(), &["report", "data"]);
    bad.assert_code(2);
    assert_eq!(
        bad.stderr,
        "error: data/nrr.toml:2: as_of: expected a date YYYY-MM-DD, found \"2024-02-30\"\n"
    );
}

/// A release needs at least one role to sign it off.
#[test]
fn review_roles_cannot_be_empty() {
    let tmp = fixture("segments");
    config(&tmp, "[review]\nroles = []\n");
    let run = nrr_in(tmp.path(), &["report", "data"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: data/nrr.toml:2: review.roles: at least one role signs a release off, found []\n"
    );
}
