//! Numbers as Swedish reports print them: thousands separated by a space,
//! a decimal comma and a real minus sign (seed 000: "−907 875", "1 332,5").
//!
//! The thousands separator is U+00A0 NO-BREAK SPACE everywhere, so a number
//! never breaks over two lines; the minus sign is U+2212, never the hyphen.

use rust_decimal::{Decimal, RoundingStrategy};

/// The thousands separator: U+00A0 NO-BREAK SPACE.
pub const THOUSANDS: char = '\u{a0}';
/// The minus sign: U+2212 MINUS SIGN.
pub const MINUS: char = '\u{2212}';

/// `value` in Swedish form. With `decimals`, rounded half away from zero to
/// that many decimals (as reports round: whole tkr, one decimal for %);
/// without, every decimal the value carries (trailing zeros dropped).
/// A value that rounds to zero is printed without a sign.
pub fn number(value: Decimal, decimals: Option<u32>) -> String {
    let v = match decimals {
        Some(dp) => value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
        None => value.normalize(),
    };
    let negative = v.is_sign_negative() && !v.is_zero();
    let text = v.abs().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + 4);
    if negative {
        out.push(MINUS);
    }
    let digits = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(THOUSANDS);
        }
        out.push(c);
    }
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        out.push(',');
        out.push_str(f);
    }
    out
}

/// An amount in whole units (tkr or kr), as tables print them.
pub fn whole(value: Decimal) -> String {
    number(value, Some(0))
}

/// A signed amount with an explicit plus for favourable deviations in
/// running text ("+9 024").
pub fn signed(value: Decimal, decimals: Option<u32>) -> String {
    let text = number(value, decimals);
    if value.is_sign_positive() && !text.chars().all(|c| c == '0') {
        format!("+{text}")
    } else {
        text
    }
}

/// Parses a number as [`number`] prints it (and as the seeds print them:
/// hyphen or minus sign, any space as thousands separator, decimal comma).
/// `None` when the text holds no number.
pub fn parse(text: &str) -> Option<Decimal> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != THOUSANDS && *c != '\u{202f}')
        .map(|c| match c {
            MINUS | '\u{2013}' => '-',
            ',' => '.',
            c => c,
        })
        .collect();
    cleaned.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prints_as_the_seeds_do() {
        assert_eq!(whole(dec!(9024)), "9\u{a0}024");
        assert_eq!(whole(dec!(-450)), "\u{2212}450");
        assert_eq!(whole(dec!(-907875.4)), "\u{2212}907\u{a0}875");
        assert_eq!(whole(dec!(-1234567)), "\u{2212}1\u{a0}234\u{a0}567");
        assert_eq!(number(dec!(1332.5), None), "1\u{a0}332,5");
        assert_eq!(number(dec!(9.0), Some(1)), "9,0");
        assert_eq!(number(dec!(1.69), None), "1,69");
        assert_eq!(number(dec!(100), None), "100");
        assert_eq!(number(dec!(-0.4), Some(0)), "0");
        assert_eq!(whole(dec!(0.5)), "1");
        assert_eq!(whole(dec!(-0.5)), "\u{2212}1");
    }

    #[test]
    fn signed_marks_favourable_deviations() {
        assert_eq!(signed(dec!(9024), Some(0)), "+9\u{a0}024");
        assert_eq!(signed(dec!(-314), Some(0)), "\u{2212}314");
        assert_eq!(signed(dec!(0), Some(0)), "0");
    }

    #[test]
    fn parses_what_it_prints_and_what_the_seeds_print() {
        for v in [dec!(9024), dec!(-450), dec!(1332.5), dec!(-0.25), dec!(0)] {
            assert_eq!(parse(&number(v, None)), Some(v));
        }
        assert_eq!(parse("-907 875"), Some(dec!(-907875)));
        assert_eq!(parse("1 296,7"), Some(dec!(1296.7)));
        assert_eq!(parse("—"), None);
    }
}
