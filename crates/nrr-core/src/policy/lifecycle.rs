//! The lifecycle policies: how invoices and subscription events become MRR (docs/policies.md).
//! The invoice and Stripe readers apply them; items, mrr and snapshot inputs already hold
//! their result and accept them only at their defaults.

/// When a cancelled subscription's revenue stops counting (`--churn-recognition`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChurnRecognition {
    /// Revenue counts until the paid service period in which the cancellation takes effect
    /// ends (the default).
    #[default]
    AtPeriodEnd,
    /// Revenue stops on the `canceled` event's date.
    AtCancellation,
    /// Revenue stops on the `cancel_requested` event's date (else the `canceled` one's).
    AtRequest,
}

impl ChurnRecognition {
    /// The policy's name as written on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            ChurnRecognition::AtPeriodEnd => "at-period-end",
            ChurnRecognition::AtCancellation => "at-cancellation",
            ChurnRecognition::AtRequest => "at-request",
        }
    }
}

/// Whether discounts are taken off MRR (`--discounts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discounts {
    /// MRR is net of every discount (the default).
    #[default]
    All,
    /// Only discounts that last forever are taken off. Invoices do not say how long a
    /// discount lasts, so this cannot be decided from invoices.csv (a usage error there).
    ForeverOnly,
    /// MRR is gross of discounts.
    None,
}

impl Discounts {
    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            Discounts::All => "all",
            Discounts::ForeverOnly => "forever-only",
            Discounts::None => "none",
        }
    }

    /// Whether a discount is taken off MRR (`forever`: it lasts forever).
    pub fn takes(self, forever: bool) -> bool {
        match self {
            Discounts::All => true,
            Discounts::ForeverOnly => forever,
            Discounts::None => false,
        }
    }
}

/// What a past-due or unpaid subscription counts as (`--past-due`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PastDue {
    /// Delinquency changes nothing: revenue counts while service periods run.
    Keep,
    /// Revenue counts for this many days after the subscription fell past due; if it has not
    /// recovered (a `resumed` event) by then, it stops (churn) until it recovers.
    KeepDays(u32),
    /// Revenue stops the day the subscription falls past due, until it recovers.
    Churn,
}

impl Default for PastDue {
    fn default() -> Self {
        PastDue::KeepDays(30)
    }
}

impl PastDue {
    /// The policy's name: `keep`, `keep:30`, `churn`.
    pub fn name(self) -> String {
        match self {
            PastDue::Keep => "keep".into(),
            PastDue::KeepDays(n) => format!("keep:{n}"),
            PastDue::Churn => "churn".into(),
        }
    }

    /// Parses `keep`, `keep:N` (N days, 0 to 3650) or `churn`.
    pub fn parse(s: &str) -> Option<PastDue> {
        match s {
            "keep" => Some(PastDue::Keep),
            "churn" => Some(PastDue::Churn),
            _ => {
                let n: u32 = s.strip_prefix("keep:")?.parse().ok()?;
                (n <= 3650).then_some(PastDue::KeepDays(n))
            }
        }
    }
}

/// What a paused subscription counts as (`--pauses`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pauses {
    /// A paused subscription keeps its MRR until it resumes (the default).
    #[default]
    Keep,
    /// A pause is churn; resuming is reactivation.
    Churn,
    /// Paused revenue is 0 but the customer is not churned: the engine reports paused and
    /// resumed movements (the spans are marked with `DatasetBuilder::push_pause`).
    Zero,
}

impl Pauses {
    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            Pauses::Keep => "keep",
            Pauses::Churn => "churn",
            Pauses::Zero => "zero",
        }
    }
}

/// What a full refund of an invoice does (`--full-refunds`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FullRefunds {
    /// Refunds and credit notes never move MRR: the service paid for runs on (the default).
    #[default]
    Ignore,
    /// A credit note or refund of the whole invoice ends the service of that invoice's
    /// subscription lines on its date (ChartMogul's opt-in); a partial one changes nothing.
    EndService,
}

impl FullRefunds {
    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            FullRefunds::Ignore => "ignore",
            FullRefunds::EndService => "end-service",
        }
    }
}

/// The rules that turn invoices and events into MRR (docs/policies.md). They apply to
/// `invoices.csv` only; other inputs accept them only at their defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InvoicePolicies {
    /// When a cancelled subscription stops counting.
    pub churn_recognition: ChurnRecognition,
    /// Whether discounts are taken off MRR.
    pub discounts: Discounts,
    /// Past-due and unpaid subscriptions.
    pub past_due: PastDue,
    /// Paused subscriptions.
    pub pauses: Pauses,
    /// Invoices refunded in full.
    pub full_refunds: FullRefunds,
}

impl InvoicePolicies {
    /// The first policy that differs from its default, as `(policy, value, default)` names:
    /// what an input that cannot apply the lifecycle policies refuses.
    pub fn first_not_default(&self) -> Option<(&'static str, String, String)> {
        let d = InvoicePolicies::default();
        if self.churn_recognition != d.churn_recognition {
            return Some((
                "churn-recognition",
                self.churn_recognition.name().into(),
                d.churn_recognition.name().into(),
            ));
        }
        if self.discounts != d.discounts {
            return Some((
                "discounts",
                self.discounts.name().into(),
                d.discounts.name().into(),
            ));
        }
        if self.past_due != d.past_due {
            return Some(("past-due", self.past_due.name(), d.past_due.name()));
        }
        if self.pauses != d.pauses {
            return Some(("pauses", self.pauses.name().into(), d.pauses.name().into()));
        }
        if self.full_refunds != d.full_refunds {
            return Some((
                "full-refunds",
                self.full_refunds.name().into(),
                d.full_refunds.name().into(),
            ));
        }
        None
    }
}
