//! Exact decimal figures for what a supplier checks. Prices and pack sizes
//! are read from decimal columns and kept as `f64`; the shortest decimal
//! that reads back as the same `f64` is the figure the source holds (42.75,
//! 0.2642), so products of such figures are worked out in decimal
//! arithmetic (rust_decimal, see docs/DEPENDENCIES.md), with no binary
//! rounding, and a document's lines multiply out to the cent.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

/// A decimal number, trailing zeros removed (28 significant digits at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact(Decimal);

impl Exact {
    pub const ZERO: Exact = Exact(Decimal::ZERO);

    fn of(d: Decimal) -> Exact {
        Exact(d.normalize())
    }

    /// The decimal an `f64` stands for: its shortest form (f64's `Display`
    /// never uses an exponent). `None` for NaN, infinities and values
    /// beyond 28 digits.
    pub fn from_f64(v: f64) -> Option<Exact> {
        if !v.is_finite() {
            return None;
        }
        Exact::parse(&v.to_string())
    }

    /// Reads a plain decimal ("-12.340", "15898", "0.2642"): digits, one
    /// point, a sign; no exponent, no separators.
    pub fn parse(text: &str) -> Option<Exact> {
        let t = text.trim();
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let plain = t.strip_prefix('+').unwrap_or(t);
        // Leading zeros and an empty side are fine for people, not for the
        // parser.
        let plain = match (int.is_empty(), frac.is_empty()) {
            (true, _) => plain.replacen('.', "0.", 1),
            (_, true) => plain.trim_end_matches('.').to_string(),
            _ => plain.to_string(),
        };
        Decimal::from_str_exact(&plain).ok().map(Exact::of)
    }

    /// `self x other`, exactly; `None` past 28 digits.
    pub fn checked_mul(self, other: Exact) -> Option<Exact> {
        let product = self.0.checked_mul(other.0)?;
        // rust_decimal rounds a product whose scale would pass 28: that is
        // no longer exact.
        (self.0.scale() + other.0.scale() <= 28).then(|| Exact::of(product))
    }

    /// `self + other`, exactly; `None` past 28 digits.
    pub fn checked_add(self, other: Exact) -> Option<Exact> {
        self.0.checked_add(other.0).map(Exact::of)
    }

    /// Rounded to `decimals`, halves away from zero (1.005 -> 1.01, as a
    /// person rounds, not as the nearest `f64` would).
    pub fn round_to(self, decimals: u32) -> Exact {
        Exact::of(
            self.0
                .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero),
        )
    }

    /// Rounded to the cent, in cents.
    pub fn cents(self) -> Option<i64> {
        let cents = self.round_to(2).0.checked_mul(Decimal::ONE_HUNDRED)?;
        i64::try_from(cents).ok()
    }

    /// Whole cents as a decimal.
    pub fn from_cents(cents: i64) -> Exact {
        Exact::of(Decimal::new(cents, 2))
    }

    pub fn is_whole(self) -> bool {
        self.0.is_integer()
    }

    /// Decimals it needs (0 for a whole number).
    pub fn decimals(self) -> u32 {
        self.0.scale()
    }

    /// The nearest `f64` (what a JSON reader gets).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// At least `min` decimals (money: "186.00"; "11.29455" stays whole).
    pub fn text_min_decimals(self, min: u32) -> String {
        let mut d = self.0;
        if d.scale() < min {
            d.rescale(min);
        }
        d.to_string()
    }

    /// As `text_min_decimals`, with thousands separators (for people:
    /// "15,898", "4,200.2516", "11.29455"): every digit shown, none cut.
    pub fn grouped(self, min_decimals: u32) -> String {
        let s = self.text_min_decimals(min_decimals);
        let (sign, rest) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
        let (int, frac) = rest
            .split_once('.')
            .map_or((rest, None), |(i, f)| (i, Some(f)));
        let mut out = String::with_capacity(s.len() + int.len() / 3);
        out.push_str(sign);
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if let Some(f) = frac {
            out.push('.');
            out.push_str(f);
        }
        out
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    #[test]
    fn figures_read_as_the_source_wrote_them() {
        assert_eq!(Exact::from_f64(0.2642).unwrap().to_string(), "0.2642");
        assert_eq!(Exact::from_f64(42.75).unwrap().to_string(), "42.75");
        assert_eq!(Exact::from_f64(15898.0).unwrap().to_string(), "15898");
        assert_eq!(Exact::from_f64(-0.05).unwrap().to_string(), "-0.05");
        assert_eq!(Exact::from_f64(1e-7).unwrap().to_string(), "0.0000001");
        assert_eq!(x("012.3400").to_string(), "12.34");
        assert_eq!(x("0").to_string(), "0");
        assert_eq!(Exact::from_f64(f64::NAN), None);
        for bad in ["", ".", "1e5", "1.2.3", "--1", "abc"] {
            assert_eq!(Exact::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn products_are_exact_where_floats_are_not() {
        // 0.2642 x 42.75 in f64 is 11.294549999999999.
        let price = x("0.2642").checked_mul(x("42.75")).unwrap();
        assert_eq!(price.to_string(), "11.29455");
        let amount = x("15898").checked_mul(price).unwrap();
        assert_eq!(amount.to_string(), "179560.7559");
        assert_eq!(amount.cents(), Some(17_956_076));
        assert_eq!(x("0.1").checked_add(x("0.2")).unwrap(), x("0.3"));
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(x("1.005").round_to(2), x("1.01"));
        assert_eq!(x("1.0049").round_to(2), x("1"));
        assert_eq!(x("-1.005").round_to(2), x("-1.01"));
        assert_eq!(x("2.5").round_to(0), x("3"));
        assert_eq!(x("1.005").cents(), Some(101));
        assert_eq!(Exact::from_cents(930_000).to_string(), "9300");
    }

    #[test]
    fn people_read_every_digit_grouped() {
        assert_eq!(x("186").text_min_decimals(2), "186.00");
        assert_eq!(x("11.29455").text_min_decimals(2), "11.29455");
        assert_eq!(x("8.5").text_min_decimals(2), "8.50");
        assert_eq!(x("4200.2516").grouped(0), "4,200.2516");
        assert_eq!(x("1234567.5").grouped(2), "1,234,567.50");
        assert_eq!(x("-15898").grouped(0), "-15,898");
        assert_eq!(x("0.0848").grouped(2), "0.0848");
    }
}
