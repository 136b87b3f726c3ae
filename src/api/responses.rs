//! Problem answers that many operations document alike, named once for
//! their `#[utoipa::path(responses(…))]`.

/// A problem+json answer with this status and description, as a type for
/// `responses(…)`; it only describes the answer and is never built.
macro_rules! problem_response {
    ($(#[$doc:meta])* $name:ident, $status:literal, $description:literal) => {
        $(#[$doc])*
        #[derive(utoipa::IntoResponses)]
        #[response(status = $status, description = $description, content_type = "application/problem+json")]
        #[allow(dead_code)]
        pub struct $name(crate::error::Problem);
    };
}

problem_response!(
    /// The resource changed since the client read it.
    Stale, 412, "Changed since you read it"
);
problem_response!(
    /// The report is no longer a draft (utkast).
    NotADraft, 409, "The report is not a draft"
);
problem_response!(
    /// `Accept` allows neither of the forms a view answers in.
    JsonOrCsvOnly, 406, "`Accept` allows neither application/json nor text/csv"
);
problem_response!(
    /// A write that needs `If-Match` came without it.
    IfMatchMissing, 428, "If-Match missing"
);
problem_response!(
    /// The body or a parameter is invalid; `errors` names the fields.
    Invalid, 422, "Invalid"
);
problem_response!(
    /// A year out of range.
    InvalidYear, 422, "Invalid year"
);
problem_response!(
    /// The period named does not exist in the kommun.
    UnknownPeriod, 422, "Unknown period"
);
problem_response!(
    /// An upload over the configured body limit.
    FileTooLarge, 413, "The file is larger than the configured body limit"
);
