//! A computed value with an optional manual override that carries a reason.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an override was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// The reason is empty or only whitespace.
    #[error("an override needs a non-blank reason")]
    MissingReason,
}

/// A manual value set by a nämnd, with its reason (never blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override<T> {
    value: T,
    reason: String,
}

impl<T> Override<T> {
    /// An override; [`OverrideError::MissingReason`] if `reason` is blank.
    pub fn new(value: T, reason: impl Into<String>) -> Result<Self, OverrideError> {
        let reason = reason.into();
        if reason.trim().is_empty() {
            return Err(OverrideError::MissingReason);
        }
        Ok(Override { value, reason })
    }

    /// The manual value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Why the computed value was overridden.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[derive(Deserialize)]
struct OverrideRaw<T> {
    value: T,
    reason: String,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Override<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = OverrideRaw::<T>::deserialize(d)?;
        Override::new(raw.value, raw.reason).map_err(D::Error::custom)
    }
}

/// A computed value (bedömning, trend) and an optional override. Both are
/// kept and served: JSON `{"computed": …, "final": …, "override": {"value":
/// …, "reason": …} | null}` (`final` is ignored when deserializing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed<T> {
    computed: T,
    manual: Option<Override<T>>,
}

impl<T: Copy> Assessed<T> {
    /// A computed value without override.
    pub fn new(computed: T) -> Self {
        Assessed {
            computed,
            manual: None,
        }
    }

    /// A computed value with an override.
    pub fn with_override(computed: T, manual: Override<T>) -> Self {
        Assessed {
            computed,
            manual: Some(manual),
        }
    }

    /// Sets or clears the override.
    pub fn set_override(&mut self, manual: Option<Override<T>>) {
        self.manual = manual;
    }

    /// The value computed by the rules.
    pub fn computed(&self) -> T {
        self.computed
    }

    /// The override, if any.
    pub fn manual_override(&self) -> Option<&Override<T>> {
        self.manual.as_ref()
    }

    /// Whether an override is set.
    pub fn is_overridden(&self) -> bool {
        self.manual.is_some()
    }

    /// The final value: the override's if set, else the computed one.
    /// (`final` is a reserved word in Rust, hence the name.)
    pub fn final_value(&self) -> T {
        self.manual.as_ref().map_or(self.computed, |o| o.value)
    }
}

#[derive(Serialize)]
struct AssessedView<'a, T> {
    computed: &'a T,
    #[serde(rename = "final")]
    final_value: &'a T,
    #[serde(rename = "override")]
    manual: Option<&'a Override<T>>,
}

impl<T: Serialize> Serialize for Assessed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AssessedView {
            computed: &self.computed,
            final_value: self.manual.as_ref().map_or(&self.computed, |o| &o.value),
            manual: self.manual.as_ref(),
        }
        .serialize(s)
    }
}

#[derive(Deserialize)]
struct AssessedRaw<T> {
    computed: T,
    #[serde(rename = "override", default = "none")]
    manual: Option<Override<T>>,
}

fn none<T>() -> Option<T> {
    None
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Assessed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = AssessedRaw::<T>::deserialize(d)?;
        Ok(Assessed {
            computed: raw.computed,
            manual: raw.manual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Bedomning, Trend};

    #[test]
    fn blank_reason_is_refused() {
        assert_eq!(
            Override::new(Trend::Oforandrad, ""),
            Err(OverrideError::MissingReason)
        );
        assert_eq!(
            Override::new(Trend::Oforandrad, " \t\n"),
            Err(OverrideError::MissingReason)
        );
        let o = Override::new(Trend::Oforandrad, "inte statistiskt säkerställd").unwrap();
        assert_eq!(*o.value(), Trend::Oforandrad);
        assert_eq!(o.reason(), "inte statistiskt säkerställd");
    }

    #[test]
    fn final_value_prefers_override() {
        let mut a = Assessed::new(Bedomning::Rod);
        assert_eq!(a.final_value(), Bedomning::Rod);
        assert!(!a.is_overridden());
        a.set_override(Some(
            Override::new(Bedomning::Gul, "positiv utveckling").unwrap(),
        ));
        assert_eq!(a.computed(), Bedomning::Rod);
        assert_eq!(a.final_value(), Bedomning::Gul);
        assert_eq!(
            a.manual_override().map(|o| o.reason()),
            Some("positiv utveckling")
        );
        a.set_override(None);
        assert_eq!(a.final_value(), Bedomning::Rod);
        let b = Assessed::with_override(
            Trend::Forbattrad,
            Override::new(Trend::Oforandrad, "skäl").unwrap(),
        );
        assert_eq!(
            (b.computed(), b.final_value()),
            (Trend::Forbattrad, Trend::Oforandrad)
        );
    }
}
