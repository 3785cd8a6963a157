//! Tests of the benchmark bands and their reading against a report.

use super::*;
use crate::date::Month;
use crate::report::{Bridge, ContractionByReason, ExpansionByReason, PeriodMetrics, Retention};

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn month_row(month: &str, closing_cents: i128) -> MonthRow {
    let z = Money::ZERO;
    MonthRow {
        month: m(month),
        opening_mrr: z,
        new: z,
        reactivation: z,
        expansion: z,
        contraction: z,
        churn: z,
        fx: z,
        moved_in: None,
        moved_out: None,
        paused: None,
        resumed: None,
        closing_mrr: Money {
            units: closing_cents,
            denominator: 100,
        },
        customers: 1,
        new_customers: 0,
        reactivated_customers: 0,
        churned_customers: 0,
        paused_customers: None,
        resumed_customers: None,
        expansion_by_reason: ExpansionByReason {
            seats: z,
            price: z,
            plan: z,
            cross_sell: z,
            interval: z,
            mixed: z,
        },
        contraction_by_reason: ContractionByReason {
            seats: z,
            price: z,
            plan: z,
            product_removed: z,
            interval: z,
            mixed: z,
        },
        notes: Vec::new(),
        exact: Default::default(),
    }
}

fn ttm_row(month: &str, nrr: Option<f64>) -> TtmRow {
    let z = Money::ZERO;
    let row = month_row(month, 0);
    TtmRow {
        month: m(month),
        t0: m(month),
        retention: Retention {
            starting_mrr: z,
            expansion: z,
            contraction: z,
            churn: z,
            ending_cohort_mrr: z,
            nrr,
            grr: None,
            cohort_customers: 0,
            churned_customers: 0,
            logo_churn_rate: None,
            fx_impact: z,
            expansion_by_reason: row.expansion_by_reason.clone(),
            contraction_by_reason: row.contraction_by_reason.clone(),
            exact: Default::default(),
        },
        bridge: Bridge {
            opening: z,
            new: z,
            reactivation: z,
            expansion: z,
            contraction: z,
            churn: z,
            fx: z,
            moved_in: None,
            moved_out: None,
            paused: None,
            resumed: None,
            closing: z,
            exact: Default::default(),
        },
        metrics: PeriodMetrics {
            arr: z,
            arpa: None,
            customers_start: 0,
            customers_new: 0,
            customers_reactivated: 0,
            customers_churned: 0,
            customers_end: 0,
            revenue_churn_rate: None,
            net_mrr_churn_rate: None,
            quick_ratio: None,
            ltv: None,
            exact: Default::default(),
        },
        concentration: Vec::new(),
        top_customers: Default::default(),
    }
}

/// A context for a business whose last month closes at `mrr_cents` with TTM NRR `nrr`.
fn ctx(currency: &str, mrr_cents: i128, nrr: Option<f64>) -> BenchmarkContext {
    build(
        figures(),
        currency,
        &[month_row("2026-05", 1), month_row("2026-06", mrr_cents)],
        &[ttm_row("2026-05", Some(0.5)), ttm_row("2026-06", nrr)],
    )
    .expect("a context")
}

fn ids(c: &BenchmarkContext) -> Vec<&str> {
    c.comparisons.iter().map(|x| x.id).collect()
}

#[test]
fn the_embedded_file_parses_and_every_row_has_a_source() {
    let fs = parse(DATA).expect("nrr_benchmarks.csv parses");
    assert!(fs.len() >= 4);
    for f in &fs {
        assert!(!f.publisher.is_empty(), "{}: publisher", f.id);
        assert!(!f.source_title.is_empty(), "{}: source_title", f.id);
        assert!(f.source_url.starts_with("https://"), "{}: source_url", f.id);
        assert!(!f.population.is_empty(), "{}: population", f.id);
        if !f.verified {
            assert!(f.note.contains(UNVERIFIED_NOTE), "{}: note", f.id);
        }
    }
    for want in [
        "chartmogul_top_quartile_arr_1m_3m",
        "public_saas_median_at_ipo",
        "ai_saas_top_range",
        "above_100_rule_of_thumb",
    ] {
        assert!(fs.iter().any(|f| f.id == want), "{want} is in the file");
    }
}

#[test]
fn band_figures_do_not_partly_overlap() {
    let bands: Vec<&Figure> = figures().iter().filter(|f| f.is_band()).collect();
    for a in &bands {
        for b in &bands {
            let same = (a.arr_min_usd, a.arr_max_usd) == (b.arr_min_usd, b.arr_max_usd);
            let (a0, a1) = (
                a.arr_min_usd.unwrap_or(0),
                a.arr_max_usd.unwrap_or(u64::MAX),
            );
            let (b0, b1) = (
                b.arr_min_usd.unwrap_or(0),
                b.arr_max_usd.unwrap_or(u64::MAX),
            );
            assert!(
                same || a1 <= b0 || b1 <= a0,
                "{} and {} overlap",
                a.id,
                b.id
            );
        }
    }
}

#[test]
fn docs_table_lists_every_figure() {
    let docs = include_str!("../../../../docs/benchmarks.md");
    for f in figures() {
        let cell = format!("`{}`", f.id);
        assert!(
            docs.lines()
                .any(|l| l.starts_with('|') && l.contains(&cell) && l.contains(&f.source_url)),
            "docs/benchmarks.md has no table row with {cell} and its source {}",
            f.source_url
        );
    }
}

/// A context whose ARR is exactly `arr_dollars` (closing MRR = arr / 12, exact in
/// twelfths) and whose TTM NRR is 103.4%.
fn ctx_arr(arr_dollars: i128) -> BenchmarkContext {
    let mut last = month_row("2026-06", 0);
    last.closing_mrr = Money {
        units: arr_dollars,
        denominator: 12,
    };
    let c = build(
        figures(),
        "USD",
        &[last],
        &[ttm_row("2026-06", Some(1.034))],
    )
    .unwrap();
    assert_eq!(c.arr.units, arr_dollars * 12);
    c
}

#[test]
fn bands_include_the_lower_bound_and_exclude_the_upper() {
    assert_eq!(ctx_arr(1_000_000).arr_band.as_deref(), Some("$1M-$3M"));
    assert_eq!(
        ctx_arr(999_999).arr_band,
        None,
        "$300k-$1M has no published figure"
    );
    assert_eq!(ctx_arr(2_999_999).arr_band.as_deref(), Some("$1M-$3M"));
    assert_eq!(ctx_arr(3_000_000).arr_band.as_deref(), Some("$3M-$15M"));
    assert_eq!(ctx_arr(0).arr_band.as_deref(), Some("$0-$300k"));
    assert_eq!(ctx_arr(299_999).arr_band.as_deref(), Some("$0-$300k"));
    assert_eq!(ctx_arr(300_000).arr_band, None);
    assert_eq!(ctx_arr(14_999_999).arr_band.as_deref(), Some("$3M-$15M"));
    assert_eq!(ctx_arr(15_000_000).arr_band, None);
    let c = ctx_arr(1_000_000);
    assert_eq!(ids(&c)[0], "chartmogul_top_quartile_arr_1m_3m");
    assert!(c.summary.contains("in the $1M-$3M band"), "{}", c.summary);
    assert!(
        c.summary.contains(
            "For companies with $1M-$3M ARR, ChartMogul's data puts the top quartile at 94%"
        ),
        "{}",
        c.summary
    );
    let none = ctx_arr(20_000_000);
    assert!(none
        .summary
        .contains("no published figure in docs/benchmarks.md covers that ARR"));
    assert!(ids(&none).iter().all(|id| !id.starts_with("chartmogul")));
    assert!(ids(&none).contains(&"public_saas_median_at_ipo"));
}

#[test]
fn the_band_edges_are_exact_to_the_unit() {
    // One cent under $1M ARR is not in the $1M-$3M band.
    let just_under = ctx("USD", 8_333_333, Some(1.0)); // ARR 999,999.96
    assert_eq!(just_under.arr.to_string(), "999999.96");
    assert_eq!(just_under.arr_band, None);
    let c = ctx("USD", 25_000_000, Some(1.0)); // ARR 3,000,000.00
    assert_eq!(c.arr.to_string(), "3000000.00");
    assert_eq!(c.arr_band.as_deref(), Some("$3M-$15M"));
}

#[test]
fn a_report_not_in_usd_picks_no_band_but_compares_figures_for_every_size() {
    let c = ctx("EUR", 10_000_000, Some(1.034)); // 1.2M EUR ARR
    assert_eq!(c.arr_band, None);
    assert_eq!(c.currency, "EUR");
    assert!(
        c.summary
            .contains("the ARR bands are in USD and this report is in EUR, so no band is picked"),
        "{}",
        c.summary
    );
    assert!(!ids(&c).is_empty());
    for x in &c.comparisons {
        let f = figures().iter().find(|f| f.id == x.id).unwrap();
        assert!(!f.is_band(), "{} is a band figure", x.id);
    }
}

#[test]
fn without_a_ttm_nrr_nothing_is_compared() {
    let c = build(figures(), "USD", &[month_row("2026-06", 10_000_000)], &[]).unwrap();
    assert_eq!((c.ttm_month, c.ttm_nrr), (None, None));
    assert!(c.comparisons.is_empty());
    assert!(c.summary.contains("There is no TTM NRR"), "{}", c.summary);
    assert!(c.summary.contains("no comparison is made"));
    // A TTM whose cohort was empty has no NRR either.
    let c = ctx("USD", 10_000_000, None);
    assert_eq!(
        c.ttm_month.map(|m| m.to_string()).as_deref(),
        Some("2026-05")
    );
    let c = build(
        figures(),
        "USD",
        &[month_row("2026-06", 1)],
        &[ttm_row("2026-06", None)],
    )
    .unwrap();
    assert!(c.comparisons.is_empty());
}

#[test]
fn relations_are_exact_and_worded_as_context() {
    let f = |id: &str| figures().iter().find(|f| f.id == id).unwrap();
    let median = f("public_saas_median_at_ipo");
    assert_eq!(median.relation(1_140_000), "equal");
    assert_eq!(median.relation(1_140_001), "above");
    assert_eq!(median.relation(1_139_999), "below");
    let range = f("ai_saas_top_range");
    assert_eq!(range.relation(1_199_999), "below");
    assert_eq!(range.relation(1_200_000), "within");
    assert_eq!(range.relation(1_500_000), "within");
    assert_eq!(range.relation(1_500_001), "above");
    assert_eq!(range.value_text(), "120-150%");

    let c = ctx("USD", 15_000_000, Some(1.034)); // ARR 1.8M
    assert_eq!(c.ttm_nrr, Some(1.034));
    let rel: Vec<(&str, &str)> = c.comparisons.iter().map(|x| (x.id, x.relation)).collect();
    assert_eq!(
        rel,
        [
            ("chartmogul_top_quartile_arr_1m_3m", "above"),
            ("public_saas_median_at_ipo", "below"),
            ("ai_saas_top_range", "below"),
            ("above_100_rule_of_thumb", "above"),
        ]
    );
    assert!(
        c.summary.contains("TTM NRR to 2026-06 is 103.4%."),
        "{}",
        c.summary
    );
    assert!(c
        .summary
        .contains("top quartile at 94% (this NRR is above it)"));
    assert!(c
        .summary
        .contains("NRR above 100% means revenue from existing customers grew"));
    let lower = c.summary.to_lowercase();
    for word in ["good", "bad", "healthy", "poor", "grade", "strong", "weak"] {
        assert!(
            !lower.contains(word),
            "summary says `{word}`: {}",
            c.summary
        );
    }
    assert!(!c.summary.contains('\n'));
    assert!(
        // The table wraps it at 80 columns: compare with the line breaks read as spaces.
        include_str!("../../../../docs/benchmarks.md")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&c.summary),
        "docs/benchmarks.md shows this summary word for word:\n{}",
        c.summary
    );
    let eq = ctx("USD", 15_000_000, Some(1.0));
    assert!(
        eq.summary.contains("(this NRR equals it)"),
        "{}",
        eq.summary
    );
    let within = ctx("USD", 15_000_000, Some(1.25));
    assert!(within.summary.contains("120-150% (this NRR is within it)"));
}

#[test]
fn percents_round_half_even_to_one_decimal() {
    assert_eq!(percent_text(657_895), "65.8%");
    assert_eq!(percent_text(1_034_000), "103.4%");
    assert_eq!(percent_text(1_018_500), "101.8%");
    assert_eq!(percent_text(1_017_500), "101.8%");
    assert_eq!(micro_of(0.657895), 657_895);
    assert_eq!(percent_micro("94"), Some(940_000));
    assert_eq!(percent_micro("94.25"), Some(942_500));
    assert_eq!(percent_micro("-1"), None);
    assert_eq!(usd_short(300_000), "$300k");
    assert_eq!(usd_short(15_000_000), "$15M");
    assert_eq!(grouped("39600.00"), "39,600.00");
}

#[test]
fn the_parser_reads_quotes_and_rejects_what_it_cannot_check() {
    let rows = split_csv("a,b\n\"x, \"\"y\"\"\",2\r\n").unwrap();
    assert_eq!(rows, [vec!["a", "b"], vec!["x, \"y\"", "2"]]);
    assert!(split_csv("a\n\"open").is_err());
    let header = COLUMNS.join(",");
    let ok = "id1,nrr,,,median,114,,p,P,T,https://x.example/,true,at {value},q,n";
    assert_eq!(parse(&format!("{header}\n{ok}\n")).unwrap().len(), 1);
    let bad = [
        ok.replace("https://x.example/", ""),
        ok.replace(",P,", ",,"),
        ok.replace(",T,", ",,"),
        ok.replace("114", "114%"),
        ok.replace("median", "range"),
        ok.replace("at {value}", "at 114%"),
        ok.replace(",true,", ",false,"),
        ok.replace(",,,median", ",3000000,1000000,median"),
    ];
    for b in bad {
        assert!(parse(&format!("{header}\n{b}\n")).is_err(), "accepted: {b}");
    }
    let unverified = ok
        .replace(",true,", ",false,")
        .replace(",q,n", &format!(",q,{UNVERIFIED_NOTE}"));
    assert!(parse(&format!("{header}\n{unverified}\n")).is_ok());
    assert!(
        parse(&format!("{header}\n{ok}\n{ok}\n")).is_err(),
        "duplicate id"
    );
}
