//! The error shared by the arithmetic of the domain module.

/// Failure of a domain computation. Figures are kronor values far below the
/// `Decimal` range (about 7.9 × 10²⁸), so this only happens on absurd input,
/// but it is reported instead of panicking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A sum, difference or product does not fit in a `Decimal`.
    #[error("arithmetic overflow: the figures exceed the decimal range")]
    Overflow,
}
