//! Number handling shared by the plan: cells read from databases, rounding
//! without float noise, the guarded ceiling DOMAIN.md asks for, and figures
//! written one way for people (quantities with units, money).

use std::borrow::Cow;

use serde::Serialize;

/// One numeric cell as read from a source: the sources hand every number
/// over as text so that DECIMAL, INTEGER and REAL read the same on each
/// backend, and a non-numeric value is reported instead of becoming 0.
///
/// 16 bytes, and `Option<Num>` too: a product keeps about a dozen of them
/// for its rationale, and the rare invalid text is boxed out of the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Num {
    Value(f64),
    Null,
    Invalid(InvalidText),
}

/// The text of a cell that is not a number, as the database returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidText(Box<Box<str>>);

impl std::ops::Deref for InvalidText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InvalidText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl From<&str> for InvalidText {
    fn from(text: &str) -> InvalidText {
        InvalidText(Box::new(text.into()))
    }
}

impl Num {
    /// Parses database text. NaN and infinities are not quantities: they are
    /// kept as invalid so the product gets flagged.
    pub fn parse(text: Option<&str>) -> Num {
        match text {
            None => Num::Null,
            Some(raw) => {
                let t = raw.trim();
                match t.parse::<f64>() {
                    Ok(v) if v.is_finite() => Num::Value(if v == 0.0 { 0.0 } else { v }),
                    _ => Num::Invalid(raw.into()),
                }
            }
        }
    }

    pub fn value(&self) -> Option<f64> {
        match self {
            Num::Value(v) => Some(*v),
            _ => None,
        }
    }

    /// How the cell reads in a message ("NULL", "'abc'" or the number).
    pub fn describe(&self) -> String {
        match self {
            Num::Value(v) => fmt_qty(*v),
            Num::Null => "NULL".to_string(),
            Num::Invalid(s) => format!("'{s}'"),
        }
    }
}

/// An optional number in 8 bytes (an `Option<f64>` takes 16): a plan holds
/// nineteen of them. "Unknown" is a signalling NaN with its own payload,
/// which no arithmetic produces (arithmetic gives quiet NaNs), so every
/// `f64`, NaN included, is kept as it was.
#[derive(Clone, Copy)]
pub struct OptNum(f64);

/// The bits of the unknown value (a signalling NaN: quiet bit clear).
const UNKNOWN_BITS: u64 = 0x7FF0_0000_0000_B0DE;

impl OptNum {
    pub const NONE: OptNum = OptNum(f64::from_bits(UNKNOWN_BITS));

    pub fn get(self) -> Option<f64> {
        (self.0.to_bits() != UNKNOWN_BITS).then_some(self.0)
    }

    pub fn is_some(self) -> bool {
        self.get().is_some()
    }

    pub fn is_none(self) -> bool {
        self.get().is_none()
    }

    pub fn map<T>(self, f: impl FnOnce(f64) -> T) -> Option<T> {
        self.get().map(f)
    }

    pub fn unwrap_or(self, default: f64) -> f64 {
        self.get().unwrap_or(default)
    }

    pub fn filter(self, keep: impl FnOnce(&f64) -> bool) -> Option<f64> {
        self.get().filter(keep)
    }

    pub fn is_some_and(self, f: impl FnOnce(f64) -> bool) -> bool {
        self.get().is_some_and(f)
    }
}

impl Default for OptNum {
    fn default() -> OptNum {
        OptNum::NONE
    }
}

impl From<Option<f64>> for OptNum {
    fn from(v: Option<f64>) -> OptNum {
        match v {
            // A value with the unknown's bits cannot come from arithmetic
            // or parsing; it would read back as unknown.
            Some(v) => OptNum(v),
            None => OptNum::NONE,
        }
    }
}

impl From<f64> for OptNum {
    fn from(v: f64) -> OptNum {
        OptNum(v)
    }
}

/// Compared as the `Option<f64>` it stands for.
impl PartialEq for OptNum {
    fn eq(&self, other: &OptNum) -> bool {
        self.get() == other.get()
    }
}

impl PartialEq<Option<f64>> for OptNum {
    fn eq(&self, other: &Option<f64>) -> bool {
        self.get() == *other
    }
}

impl PartialEq<OptNum> for Option<f64> {
    fn eq(&self, other: &OptNum) -> bool {
        *self == other.get()
    }
}

impl std::fmt::Debug for OptNum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Quantities carry at most 6 decimals in every output, so float noise
/// (850.9756000000001) never reaches a buyer.
pub fn round_qty(v: f64) -> f64 {
    let r = (v * 1e6).round() / 1e6;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Money is rounded to cents, halves away from zero as a person rounds
/// them: the product is first rounded past its float noise (1 x 1.005 is
/// 1.00499999... as an f64, and 1.01 to a person or a supplier).
pub fn round_money(v: f64) -> f64 {
    let cents = v * 100.0;
    let cents = (cents * 1e6).round() / 1e6;
    let r = cents.round() / 100.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// `ceil` that ignores float error below 1e-9: 88.5/20 gives 5, and
/// 100.0000000001/20 gives 5, not 6.
pub fn guarded_ceil(x: f64) -> f64 {
    ((x * 1e9).round() / 1e9).ceil()
}

/// A quantity for people: no float noise, no trailing zeros.
pub fn fmt_qty(v: f64) -> String {
    // Rounded to 6 decimals, the shortest representation that reads back
    // the same is the plain decimal (f64's Display never uses exponents).
    round_qty(v).to_string()
}

/// A quantity with its unit, the unit's word agreeing with the number:
/// "1 piece", "600 pieces", "17 boxes", "2.5 kg", "1 unit". Units come from
/// the UOM source as the people there wrote them, singular or plural, so
/// the word is put in the form the number needs; abbreviations (kg, lb, m,
/// pcs, ...) and words that do not change are kept as they are.
pub fn fmt_units(v: f64, unit: Option<&str>) -> String {
    let unit = unit
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or("units");
    format!("{} {}", fmt_qty(v), unit_word(round_qty(v), unit))
}

/// `unit` in the form a quantity `v` needs (see `fmt_units`).
pub fn unit_word(v: f64, unit: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let lower = unit.to_ascii_lowercase();
    // Abbreviations and words with one form for one and many.
    const SAME: &[&str] = &[
        "kg",
        "g",
        "mg",
        "t",
        "lb",
        "lbs",
        "oz",
        "l",
        "ml",
        "cl",
        "dl",
        "m",
        "cm",
        "mm",
        "km",
        "m2",
        "m3",
        "ft",
        "in",
        "yd",
        "gal",
        "pcs",
        "pc",
        "ea",
        "qty",
        "sqm",
        "sqft",
        "each",
        "kwh",
        "hl",
        "dozen",
        "series",
        "sheep",
        "equipment",
    ];
    if SAME.contains(&lower.as_str())
        || !unit.chars().all(|c| c.is_ascii_alphabetic())
        || unit.chars().all(|c| c.is_ascii_uppercase())
        || unit.len() <= 2
    {
        return Cow::Borrowed(unit);
    }
    let singular = singular_of(unit);
    if v == 1.0 {
        return Cow::Owned(singular);
    }
    Cow::Owned(plural_of(&singular))
}

/// The singular of a unit word written either way ("pieces" -> "piece",
/// "boxes" -> "box", "batteries" -> "battery", "box" -> "box").
fn singular_of(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let cut = |n: usize, add: &str| format!("{}{add}", &word[..word.len() - n]);
    if lower.ends_with("ies") && word.len() > 4 {
        cut(3, "y")
    } else if ["sses", "xes", "ches", "shes", "zes"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        cut(2, "")
    } else if lower.ends_with('s') && !lower.ends_with("ss") && !lower.ends_with("us") {
        cut(1, "")
    } else {
        word.to_string()
    }
}

/// The plural of a singular unit word ("box" -> "boxes", "liter" ->
/// "liters", "battery" -> "batteries").
fn plural_of(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let ends_consonant_y =
        lower.ends_with('y') && !lower[..lower.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if ends_consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// Money for people: two decimals with thousands separators (9,300.00).
pub fn fmt_money(v: f64) -> String {
    group_thousands(&format!("{:.2}", round_money(v)))
}

/// A quantity for a list column: thousands separators, at most two decimals,
/// no trailing zeros (4,200.25; 15,898; 80.5).
pub fn fmt_qty_short(v: f64) -> String {
    let s = format!("{:.2}", round_money(v));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" { "0" } else { s };
    group_thousands(s)
}

fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    let mut res = format!("{sign}{out}");
    if let Some(f) = frac {
        res.push('.');
        res.push_str(f);
    }
    res
}

/// Serialises an `f64` quantity rounded to 6 decimals.
pub fn ser_qty<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    round_qty(*v).serialize(s)
}

pub fn ser_opt_qty<S: serde::Serializer>(v: &OptNum, s: S) -> Result<S::Ok, S::Error> {
    v.map(round_qty).serialize(s)
}

pub fn ser_money<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    round_money(*v).serialize(s)
}

pub fn ser_opt_money<S: serde::Serializer>(v: &OptNum, s: S) -> Result<S::Ok, S::Error> {
    v.map(round_money).serialize(s)
}

/// A purchase quantity with its unit ("50 boxes", "386 lb"); "0" when
/// nothing is bought.
pub fn purchase_text(qty: f64, uom: Option<&str>) -> String {
    if qty > 0.0 {
        match uom {
            Some(_) => fmt_units(qty, uom),
            None => fmt_qty(qty),
        }
    } else {
        "0".to_string()
    }
}

/// Money written without separators in stored text (`457802.50 EUR`)
/// written as every table writes it (`457,802.50 EUR`): digits, a point,
/// two decimals, a space and a three-letter currency code.
pub fn money_in_text(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric() || b",.-_".contains(&bytes[i - 1])));
        if !starts_number {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        let is_money = bytes.get(j) == Some(&b'.')
            && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            && bytes.get(j + 2).is_some_and(u8::is_ascii_digit)
            && bytes.get(j + 3) == Some(&b' ')
            && bytes
                .get(j + 4..j + 7)
                .is_some_and(|c| c.iter().all(u8::is_ascii_uppercase))
            && !bytes.get(j + 7).is_some_and(u8::is_ascii_alphanumeric);
        if is_money {
            if let Ok(v) = text[i..j + 3].parse::<f64>() {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
                o.push_str(&text[copied..i]);
                o.push_str(&fmt_money(v));
                copied = j + 3;
            }
        }
        i = j.max(i + 1);
    }
    match out {
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_ceil_ignores_float_error() {
        assert_eq!(guarded_ceil(88.5 / 20.0), 5.0);
        assert_eq!(guarded_ceil(100.000_000_000_1 / 20.0), 5.0);
        assert_eq!(guarded_ceil(100.1 / 20.0), 6.0);
        assert_eq!(guarded_ceil(0.0), 0.0);
    }

    #[test]
    fn quantities_have_no_float_noise() {
        assert_eq!(fmt_qty(386.0 * 2.2046), "850.9756");
        assert_eq!(round_qty(386.0 * 2.2046), 850.9756);
        assert_eq!(fmt_qty(600.0), "600");
        assert_eq!(fmt_qty(-0.0000001), "0");
    }

    #[test]
    fn unit_words_agree_with_the_number() {
        assert_eq!(fmt_units(1.0, Some("pieces")), "1 piece");
        assert_eq!(fmt_units(600.0, Some("pieces")), "600 pieces");
        assert_eq!(fmt_units(17.0, Some("box")), "17 boxes");
        assert_eq!(fmt_units(1.0, Some("boxes")), "1 box");
        assert_eq!(fmt_units(2.0, Some("battery")), "2 batteries");
        assert_eq!(fmt_units(1.0, Some("batteries")), "1 battery");
        assert_eq!(fmt_units(2.5, Some("kg")), "2.5 kg");
        assert_eq!(fmt_units(1.0, Some("lb")), "1 lb");
        assert_eq!(fmt_units(15898.0, Some("gallon")), "15898 gallons");
        assert_eq!(fmt_units(0.5, Some("liter")), "0.5 liters");
        assert_eq!(fmt_units(1.0, None), "1 unit");
        assert_eq!(fmt_units(120.0, None), "120 units");
        assert_eq!(fmt_units(3.0, Some("case")), "3 cases");
        assert_eq!(fmt_units(3.0, Some("roll")), "3 rolls");
        assert_eq!(fmt_units(3.0, Some("glass")), "3 glasses");
        assert_eq!(fmt_units(1.0, Some("glass")), "1 glass");
        // Capitals are codes (CTN, PCS, EA): kept as written.
        assert_eq!(fmt_units(4.0, Some("CTN")), "4 CTN");
        assert_eq!(fmt_units(1.0000000001, Some("pieces")), "1 piece");
    }

    #[test]
    fn money_is_grouped_and_rounded_to_cents() {
        assert_eq!(fmt_money(9300.0), "9,300.00");
        assert_eq!(fmt_money(179_560.756), "179,560.76");
        assert_eq!(fmt_money(-1234.5), "-1,234.50");
        // Halves of a cent round up as a person rounds them, whatever the
        // float product holds (1.00499999..., 2.67499999...).
        assert_eq!(round_money(1.0 * 1.005), 1.01);
        assert_eq!(fmt_money(2.675), "2.68");
        assert_eq!(round_money(-1.005), -1.01);
        assert_eq!(round_money(1.0049), 1.0);
        assert_eq!(round_money(4200.2516 * 42.75), 179_560.76);
        assert_eq!(fmt_money(12.0), "12.00");
        assert_eq!(fmt_qty_short(4200.2516), "4,200.25");
        assert_eq!(fmt_qty_short(15898.0), "15,898");
        assert_eq!(fmt_qty_short(80.5), "80.5");
        assert_eq!(fmt_qty_short(-0.001), "0");
    }

    #[test]
    fn an_optional_number_keeps_every_f64_and_unknown_in_8_bytes() {
        assert_eq!(std::mem::size_of::<OptNum>(), 8);
        for v in [0.0, -0.0, 1.5, f64::INFINITY, f64::MIN_POSITIVE, -1e300] {
            assert_eq!(OptNum::from(v).get().map(f64::to_bits), Some(v.to_bits()));
        }
        assert!(OptNum::from(f64::NAN).get().is_some_and(f64::is_nan));
        let zero = std::hint::black_box(0.0f64);
        assert!(OptNum::from(zero / zero * 2.0).is_some(), "arithmetic NaN");
        assert_eq!(OptNum::from(None::<f64>).get(), None);
        assert_eq!(OptNum::default(), None);
        assert_eq!(format!("{:?}", OptNum::from(2.5)), "Some(2.5)");
    }

    #[test]
    fn a_cell_takes_16_bytes_present_or_not() {
        assert_eq!(std::mem::size_of::<Num>(), 16);
        assert_eq!(std::mem::size_of::<Option<Num>>(), 16);
    }

    #[test]
    fn cells_parse_text_from_any_backend() {
        assert_eq!(Num::parse(Some("150.00")), Num::Value(150.0));
        assert_eq!(Num::parse(Some(" 7 ")), Num::Value(7.0));
        assert_eq!(Num::parse(Some("2.2046")), Num::Value(2.2046));
        assert_eq!(Num::parse(None), Num::Null);
        assert_eq!(Num::parse(Some("abc")), Num::Invalid("abc".into()));
        assert_eq!(Num::parse(Some("NaN")), Num::Invalid("NaN".into()));
        assert_eq!(Num::parse(Some("inf")), Num::Invalid("inf".into()));
        assert_eq!(Num::parse(Some("")), Num::Invalid("".into()));
    }

    #[test]
    fn money_in_text_gets_thousands_separators() {
        assert_eq!(
            money_in_text("PO-000002 ABC: 1107900.35 USD (PROD-001); total 1,107,900.35 USD"),
            "PO-000002 ABC: 1,107,900.35 USD (PROD-001); total 1,107,900.35 USD"
        );
        assert_eq!(
            money_in_text("12.50 EUR, 1234.50 EUR."),
            "12.50 EUR, 1,234.50 EUR."
        );
        for kept in [
            "PO-000001 sent: ok",
            "threshold 10,000.00",
            "qty 4200.2516 liter",
            "1234.50 EURO",
            "SKU-1234.50 EUR",
            "2026-11-21T10:00:00Z",
        ] {
            assert_eq!(money_in_text(kept), kept);
        }
    }
}
