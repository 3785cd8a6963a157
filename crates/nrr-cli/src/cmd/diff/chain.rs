//! The chain of states `nrr diff` attributes a change along: A as stored, then one state
//! after each step, built step by step (the module doc of [`super`]).

use super::inputs::{self, FileMap, InputChange};
use super::{compute, not_computable, Side, State, Step};
use anyhow::Context;
use std::path::Path;

/// A step that changes `changes`, skipped for `why` if given; its name, cause and figures
/// are filled in once the chain is complete ([`super::fill_step`]).
fn bare_step(why: Option<String>, changes: Vec<InputChange>) -> Step {
    Step {
        step: "",
        cause: "",
        skipped: why,
        changes,
        figures_moved: 0,
        customers_changed: 0,
        customers_rows_only: 0,
        customers: Vec::new(),
        customers_note: None,
    }
}

/// The chain of states while it is built: `steps[i]` leads from `states[i]` to
/// `states[i + 1]`.
pub(super) struct Chain {
    pub(super) states: Vec<State>,
    pub(super) steps: Vec<Step>,
}

impl Chain {
    /// States 0 and 1 and the step between them (`tool_version_a`): A as stored, then
    /// `recomputed`, A computed by this tool; skipped when A has nothing stored.
    pub(super) fn start(a: &Side, recomputed: State) -> Chain {
        let mut chain = Chain {
            states: Vec::with_capacity(6),
            steps: Vec::with_capacity(5),
        };
        match &a.stored {
            Some(stored) => {
                chain.states.push(stored.clone());
                chain.advance(recomputed, Vec::new());
            }
            None => {
                chain.states.push(recomputed);
                chain.skip(
                    if a.is_release() {
                        "A was computed by this tool just now"
                    } else {
                        "A is data, computed by this tool"
                    },
                    Vec::new(),
                );
            }
        }
        chain
    }

    /// A step to `state`, changing `changes`.
    fn advance(&mut self, state: State, changes: Vec<InputChange>) {
        self.states.push(state);
        self.steps.push(bare_step(None, changes));
    }

    /// A step skipped for `why`: its state is the one before.
    fn skip(&mut self, why: impl Into<String>, changes: Vec<InputChange>) {
        let last = self.states.last().expect("the chain starts with A").clone();
        self.states.push(last);
        self.steps.push(bare_step(Some(why.into()), changes));
    }

    /// A step to the state `computed`, or, when it cannot be computed, skipped
    /// ([`not_computable`]).
    fn advance_or_skip(&mut self, computed: anyhow::Result<State>, changes: Vec<InputChange>) {
        match computed {
            Ok(state) => self.advance(state, changes),
            Err(e) => self.skip(not_computable(&e), changes),
        }
    }

    /// Step 2 (`settings`): A's inputs under B's nrr.toml and window, unless `changes` (what
    /// differs in them) is empty.
    pub(super) fn settings(
        &mut self,
        a: &Side,
        changes: Vec<InputChange>,
        cfg_b: Option<&Path>,
        win_b: &[String],
    ) {
        if changes.is_empty() {
            self.skip("the same nrr.toml and window on both sides", Vec::new());
        } else {
            self.advance_or_skip(compute(&a.data, cfg_b, win_b), changes);
        }
    }

    /// Step 3 (`fx_rates`): A's inputs with B's fx.csv, computed in a temporary copy, unless
    /// the fx.csv files are the same. Returns those inputs (A's files with B's fx.csv).
    pub(super) fn fx_rates(
        &mut self,
        a: &Side,
        b: &Side,
        cfg_b: Option<&Path>,
        win_b: &[String],
    ) -> anyhow::Result<FileMap> {
        let fx_a = a.files.bytes("fx.csv")?;
        let fx_b = b.files.bytes("fx.csv")?;
        let mut swapped = a.files.clone();
        swapped.replace("fx.csv", b.files.path("fx.csv"));
        if fx_a == fx_b {
            self.skip("the same fx.csv on both sides", Vec::new());
        } else {
            let tmp = tempfile::tempdir().context("a temporary data directory")?;
            swapped.copy_to(tmp.path())?;
            let changes = vec![inputs::compare_file(
                "fx.csv",
                fx_a.as_deref(),
                fx_b.as_deref(),
            )];
            self.advance_or_skip(compute(tmp.path(), cfg_b, win_b), changes);
        }
        Ok(swapped)
    }

    /// Step 4 (`input_rows`): B recomputed, unless its input files are the same as
    /// `swapped` (A's with B's fx.csv).
    pub(super) fn input_rows(
        &mut self,
        swapped: &FileMap,
        b: &Side,
        cfg_b: Option<&Path>,
        win_b: &[String],
    ) -> anyhow::Result<()> {
        let row_changes = inputs::compare(swapped, &b.files)?;
        if row_changes.is_empty() {
            self.skip("the same input files on both sides", Vec::new());
        } else {
            let state = compute(&b.data, cfg_b, win_b)?;
            self.advance(state, row_changes);
        }
        Ok(())
    }

    /// Step 5 (`tool_version_b`): B as stored; skipped when B has nothing stored.
    pub(super) fn tool_version_b(&mut self, b: &Side) {
        match &b.stored {
            Some(stored) => self.advance(stored.clone(), Vec::new()),
            None => self.skip(
                if b.is_release() {
                    "B was computed by this tool just now"
                } else {
                    "B is data, computed by this tool"
                },
                Vec::new(),
            ),
        }
    }
}
