//! The self-contained HTML report: one file that opens offline in any browser, charts as
//! inline SVG written here, a little inline script for the switches and the drill-down.
//!
//! - Every figure comes from the [`Report`] (shown, footed cents) or the [`Detail`] computed
//!   by the same rules; nothing is recomputed here.
//! - Every chart has its figures as a table too.
//! - Text from the data goes through [`escape::text`] (markup) or [`escape::script_json`] (the
//!   drill-down data), and the script only ever sets `textContent`; a strict
//!   Content-Security-Policy allows no network request and no script but the page's own
//!   (by its SHA-256).
//! - The same report gives the same bytes: no clock, every list in a fixed order.

mod chart;
mod data;
mod escape;
mod fmt;
mod sections;
mod tables;

use nrr_core::cohort::CohortTable;
use nrr_core::detail::Detail;
use nrr_core::report::Report;
use sha2::{Digest, Sha256};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The whole report as one HTML page.
pub fn report(report: &Report, detail: &Detail) -> String {
    let mut body = String::new();
    sections::header(&mut body, report);
    sections::tiles(&mut body, report);
    sections::movements(&mut body, report);
    sections::waterfalls(&mut body, report);
    sections::trend(&mut body, report);
    tables::cohorts(&mut body, &detail.cohorts, &detail.cohort_averages);
    tables::segments(&mut body, report);
    tables::reasons(&mut body, report);
    tables::periods(&mut body, report);
    body.push_str(DRILL_PANEL);
    tables::definitions(&mut body, report);
    let title = format!(
        "NRR report {} to {}",
        report.window.start_month, report.window.end_month
    );
    page(&title, &body, &data::drill_json(report, detail))
}

/// The cohort matrices alone (`nrr cohorts --format html`).
pub fn cohorts(tables: &[CohortTable]) -> String {
    let mut body = String::new();
    let averages: Vec<Vec<Option<f64>>> = tables.iter().map(|_| Vec::new()).collect();
    tables::cohorts(&mut body, tables, &averages);
    page("Signup cohorts", &body, "{}")
}

/// Where the drill-down shows the customers behind a bar, and one customer's months.
const DRILL_PANEL: &str = "<section id=\"drill\" class=\"drill\" hidden><h2 id=\"drill-title\">Customers</h2><p id=\"drill-summary\"></p><table class=\"figures\" id=\"drill-table\"><thead><tr><th>Customer</th><th>Amount</th></tr></thead><tbody></tbody></table><p id=\"drill-rest\"></p><div id=\"customer\" hidden><h3 id=\"customer-title\"></h3><div id=\"customer-chart\"></div><table class=\"figures\" id=\"customer-table\"><thead><tr><th>Month</th><th>MRR</th><th>Movement</th><th>Amount</th><th>Notes</th></tr></thead><tbody></tbody></table></div><button type=\"button\" id=\"drill-close\">Close</button></section>";

/// The page around `body`: the policy, the style, the drill-down data and the script.
fn page(title: &str, body: &str, data: &str) -> String {
    let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"nrr {version}\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n\
<script type=\"application/json\" id=\"nrr-data\">{data}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
        title = escape::text(title),
    )
}

/// Standard base64 with padding (for the script's hash in the policy).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_policy_names_the_script_by_its_hash() {
        let page = page("t", "", "{}");
        let hash = base64(&Sha256::digest(SCRIPT.as_bytes()));
        assert!(page.contains(&format!("script-src 'sha256-{hash}'")));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
    }
}
