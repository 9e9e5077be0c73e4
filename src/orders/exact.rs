//! Exact decimal figures for what a supplier checks. Prices and pack sizes
//! are read from decimal columns and kept as `f64`; the shortest decimal
//! that reads back as the same `f64` is the figure the source holds (42.75,
//! 0.2642), so products of such figures are worked out here on integers,
//! with no binary rounding, and a document's lines multiply out to the cent.

use std::fmt;

/// A decimal number: `units / 10^scale`, trailing zeros removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    units: i128,
    scale: u32,
}

/// 10^n for the scales used here (at most 38).
fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Exact {
    pub const ZERO: Exact = Exact { units: 0, scale: 0 };

    /// The decimal an `f64` stands for: its shortest form (f64's `Display`
    /// never uses an exponent). `None` for NaN, infinities and values
    /// with more than 38 digits.
    pub fn from_f64(v: f64) -> Option<Exact> {
        if !v.is_finite() {
            return None;
        }
        Exact::parse(&v.to_string())
    }

    /// Reads a plain decimal ("-12.340", "15898", "0.2642").
    pub fn parse(text: &str) -> Option<Exact> {
        let t = text.trim();
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let all = format!("{int}{frac}");
        let all = all.trim_start_matches('0');
        let units: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
        let scale = u32::try_from(frac.len()).ok()?;
        Some(
            Exact {
                units: if negative { -units } else { units },
                scale,
            }
            .normalized(),
        )
    }

    fn normalized(mut self) -> Exact {
        if self.units == 0 {
            return Exact::ZERO;
        }
        while self.scale > 0 && self.units % 10 == 0 {
            self.units /= 10;
            self.scale -= 1;
        }
        self
    }

    /// `self x other`, exactly; `None` past 38 digits.
    pub fn checked_mul(self, other: Exact) -> Option<Exact> {
        Some(
            Exact {
                units: self.units.checked_mul(other.units)?,
                scale: self.scale.checked_add(other.scale)?,
            }
            .normalized(),
        )
    }

    /// `self + other`, exactly; `None` past 38 digits.
    pub fn checked_add(self, other: Exact) -> Option<Exact> {
        let scale = self.scale.max(other.scale);
        let a = self.units.checked_mul(pow10(scale - self.scale)?)?;
        let b = other.units.checked_mul(pow10(scale - other.scale)?)?;
        Some(
            Exact {
                units: a.checked_add(b)?,
                scale,
            }
            .normalized(),
        )
    }

    /// Rounded to `decimals`, halves away from zero (1.005 -> 1.01, as a
    /// person rounds, not as the nearest `f64` would).
    pub fn round_to(self, decimals: u32) -> Exact {
        if self.scale <= decimals {
            return self;
        }
        let Some(div) = pow10(self.scale - decimals) else {
            return Exact::ZERO; // more than 38 decimals below: rounds to 0
        };
        let (q, r) = (self.units / div, self.units % div);
        let up = r.unsigned_abs() * 2 >= div.unsigned_abs();
        let units = if up { q + self.units.signum() } else { q };
        Exact {
            units,
            scale: decimals,
        }
        .normalized()
    }

    /// Rounded to the cent, in cents.
    pub fn cents(self) -> Option<i64> {
        let r = self.round_to(2);
        let units = r.units.checked_mul(pow10(2 - r.scale)?)?;
        i64::try_from(units).ok()
    }

    /// Whole cents as a decimal.
    pub fn from_cents(cents: i64) -> Exact {
        Exact {
            units: i128::from(cents),
            scale: 2,
        }
        .normalized()
    }

    pub fn is_whole(self) -> bool {
        self.scale == 0
    }

    /// Decimals it needs (0 for a whole number).
    pub fn decimals(self) -> u32 {
        self.scale
    }

    /// The nearest `f64` (what a JSON reader gets).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// At least `min` decimals (money: "186.00"; "11.29455" stays whole).
    pub fn text_min_decimals(self, min: u32) -> String {
        let s = self.to_string();
        if self.scale >= min {
            return s;
        }
        let pad = (min - self.scale) as usize;
        if self.scale == 0 {
            format!("{s}.{}", "0".repeat(pad))
        } else {
            format!("{s}{}", "0".repeat(pad))
        }
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
        let sign = if self.units < 0 { "-" } else { "" };
        let digits = self.units.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let digits = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = digits.split_at(digits.len() - scale);
        write!(f, "{sign}{int}.{frac}")
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
