//! Decimals as a supplier's tool reads them from a document or a screen,
//! for tests that redo the arithmetic of what buyerdesk printed (with none
//! of buyerdesk's own arithmetic).
#![allow(dead_code)]

/// A decimal as a document prints it: `units / 10^scale`.
#[derive(Debug, Clone, Copy)]
pub struct Dec {
    pub units: i128,
    pub scale: u32,
}

impl Dec {
    /// "15898", "11.29455", "-0.5", "1.5e-7" (JSON numbers may have an
    /// exponent).
    pub fn parse(text: &str) -> Option<Dec> {
        let t = text.trim();
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
            None => (t, 0),
        };
        let (neg, m) = match mantissa.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, mantissa),
        };
        let (int, frac) = m.split_once('.').unwrap_or((m, ""));
        if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut units: i128 = format!("{int}{frac}").parse().ok()?;
        let mut scale = frac.len() as i32 - exp;
        while scale < 0 {
            units *= 10;
            scale += 1;
        }
        Some(Dec {
            units: if neg { -units } else { units },
            scale: scale as u32,
        })
    }

    pub fn mul(self, o: Dec) -> Dec {
        Dec {
            units: self.units.checked_mul(o.units).expect("no overflow"),
            scale: self.scale + o.scale,
        }
    }

    /// Rounded half away from zero to `decimals`, as units of 10^-decimals.
    pub fn round(self, decimals: u32) -> i128 {
        if self.scale <= decimals {
            return self.units * 10i128.pow(decimals - self.scale);
        }
        let div = 10i128.pow(self.scale - decimals);
        let (q, r) = (self.units / div, self.units % div);
        if r.abs() * 2 >= div {
            q + self.units.signum()
        } else {
            q
        }
    }

    pub fn cents(self) -> i128 {
        self.round(2)
    }

    pub fn is_whole(self) -> bool {
        self.units % 10i128.pow(self.scale) == 0
    }

    /// The same number, whatever its form ("186.00" and "186").
    pub fn same(self, o: Dec) -> bool {
        let scale = self.scale.max(o.scale);
        self.round(scale) == o.round(scale)
    }
}

pub fn dec(what: &str, text: &str) -> Dec {
    Dec::parse(text).unwrap_or_else(|| panic!("{what}: {text:?} is not a number"))
}

/// A figure as people read it: thousands separators allowed ("1,980.00").
pub fn grouped(what: &str, text: &str) -> Dec {
    dec(what, &text.replace(',', ""))
}

/// The decimal an f64 read from a decimal column stands for (its shortest
/// form: 0.2642, 42.75).
pub fn of_f64(v: f64) -> Dec {
    dec("f64", &v.to_string())
}
