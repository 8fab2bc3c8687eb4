//! The spread of one figure over a sweep's runs — messages, latency, the share of operations answered
//! in time — kept as a count of runs per value, so that spreads add up.
//!
//! Percentiles of shards cannot be combined into the percentiles of the whole, but counts can: the
//! spread of two merged sweeps is the sum of their counts, exactly. To keep the counts few whatever the
//! number of runs, each run's value is first *cut* to at most four significant digits and to
//! thousandths, rounding down (`335.3333…` counts as `335.3`, `31,794` as `31,790`, `99.9991` as
//! `99.99`: never up, so a run that lost an operation never counts as 100% answered). A spread then
//! holds at most 10,000 values below 10 and 9,000 for each power of ten above. Cutting keeps the
//! order of values, so a percentile of the cut values is the cut percentile of the values.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// How many runs had each value of one figure, values cut as the module says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SpreadDocument")]
pub struct Spread {
    /// Runs per value, the value in thousandths.
    counts: BTreeMap<u128, u64>,
}

/// Min, percentiles, max and mean of a spread, in the figure's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    pub min: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Spread {
    /// Counts one run whose value is `numerator / denominator` (`denominator` > 0): an exact fraction,
    /// so that cutting it is exact too.
    pub fn add(&mut self, numerator: u128, denominator: u128) {
        *self.counts.entry(cut(numerator, denominator)).or_insert(0) += 1;
    }

    /// Adds the runs of `other`.
    pub fn merge(&mut self, other: &Spread) {
        for (&value, &runs) in &other.counts {
            *self.counts.entry(value).or_insert(0) += runs;
        }
    }

    /// Each value (in the figure's unit, as cut) with how many runs had it, smallest first: the
    /// distribution a plot draws.
    pub fn values(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts
            .iter()
            .map(|(&value, &runs)| (unit(value), runs))
    }

    /// How many runs it is taken over.
    pub fn runs(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The figures, or `None` over no runs.
    pub fn figures(&self) -> Option<Figures> {
        let runs = self.runs();
        let (&min, _) = self.counts.first_key_value()?;
        let (&max, _) = self.counts.last_key_value()?;
        // Saturating only matters for a file that claims absurd values: a sweep's stay far below.
        let total = self.counts.iter().fold(0u128, |total, (&value, &count)| {
            total.saturating_add(value.saturating_mul(u128::from(count)))
        });
        Some(Figures {
            min: unit(min),
            p50: unit(self.nearest_rank(50, runs)),
            p99: unit(self.nearest_rank(99, runs)),
            max: unit(max),
            mean: total as f64 / runs as f64 / 1000.0,
        })
    }

    /// The smallest value with at least `percent`% of the `runs` at or below it.
    fn nearest_rank(&self, percent: u64, runs: u64) -> u128 {
        let rank = (u128::from(percent) * u128::from(runs))
            .div_ceil(100)
            .max(1);
        let mut seen = 0;
        for (&value, &count) in &self.counts {
            seen += u128::from(count);
            if seen >= rank {
                return value;
            }
        }
        unreachable!("the rank is at most the number of runs")
    }
}

/// `numerator / denominator` in thousandths, rounded down, then cut to four significant digits.
fn cut(numerator: u128, denominator: u128) -> u128 {
    let thousandths = numerator * 1000 / denominator;
    let mut unit = 1;
    while thousandths / unit >= 10_000 {
        unit *= 10;
    }
    thousandths / unit * unit
}

/// A value in thousandths, as a number of the figure's unit.
fn unit(thousandths: u128) -> f64 {
    thousandths as f64 / 1000.0
}

/// A value in thousandths, written as a decimal: `48`, `335.3`, `0.125`.
struct Decimal(u128);

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / 1000, self.0 % 1000);
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// Reads a decimal with at most three digits after the point, as thousandths.
fn parse_decimal(text: &str) -> Option<u128> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > 3 {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let fraction: u128 = format!("{fraction:0<3}").parse().ok()?;
    whole.checked_mul(1000)?.checked_add(fraction)
}

/// As `--json` writes it: `{"runs", "min", "p50", "p99", "max", "mean", "counts": {value: runs}}`,
/// `null` over no runs (a spread of latencies over runs that answered nothing has no figures, and a 0
/// would read as instant answers); `counts` lists values in increasing order, as decimal strings.
impl Serialize for Spread {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let figures = self.figures();
        let mut out = serializer.serialize_struct("Spread", 7)?;
        out.serialize_field("runs", &self.runs())?;
        out.serialize_field("min", &figures.map(|f| f.min))?;
        out.serialize_field("p50", &figures.map(|f| f.p50))?;
        out.serialize_field("p99", &figures.map(|f| f.p99))?;
        out.serialize_field("max", &figures.map(|f| f.max))?;
        out.serialize_field("mean", &figures.map(|f| f.mean))?;
        out.serialize_field("counts", &Counts(&self.counts))?;
        out.end()
    }
}

/// Runs per value, values as decimal strings (JSON object keys are strings).
struct Counts<'a>(&'a BTreeMap<u128, u64>);

impl Serialize for Counts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(&value, runs)| (Decimal(value).to_string(), runs)),
        )
    }
}

/// What merging reads of a spread: the counts alone, from which everything else follows.
#[derive(Deserialize)]
struct SpreadDocument {
    counts: BTreeMap<String, u64>,
}

impl TryFrom<SpreadDocument> for Spread {
    type Error = String;

    fn try_from(document: SpreadDocument) -> Result<Self, Self::Error> {
        let mut counts = BTreeMap::new();
        for (text, runs) in document.counts {
            let value = parse_decimal(&text).ok_or_else(|| {
                format!("{text:?} is not a value: expected a decimal like 48 or 335.3")
            })?;
            if counts.insert(value, runs).is_some() {
                return Err(format!("the value {text} is counted twice"));
            }
        }
        counts.retain(|_, runs| *runs > 0);
        if counts
            .values()
            .try_fold(0u64, |total, &runs| total.checked_add(runs))
            .is_none()
        {
            return Err("the counts add up to more runs than there can be".to_string());
        }
        Ok(Spread { counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut spread = Spread::default();
        for value in 1..=100 {
            spread.add(value, 1);
        }
        let figures = spread.figures().unwrap();
        assert_eq!(
            (figures.min, figures.p50, figures.p99, figures.max),
            (1.0, 50.0, 99.0, 100.0)
        );
        assert_eq!(figures.mean, 50.5);
        assert_eq!(Spread::default().figures(), None);
    }

    #[test]
    fn values_are_cut_down_to_four_significant_digits() {
        assert_eq!(cut(1006, 3), 335_300);
        assert_eq!(cut(31_794, 1), 31_790_000);
        assert_eq!(cut(99_999, 1000), 99_990, "99.999% is not 100%");
        assert_eq!(cut(1, 8), 125);
        assert_eq!(
            cut(3, 10),
            300,
            "an exact 0.3, whatever binary floats make of it"
        );
        assert_eq!(cut(48, 1), 48_000);
    }

    #[test]
    fn counts_round_trip_through_their_decimal_names() {
        for value in [0, 125, 48_000, 335_300, 31_790_000, 100_000] {
            let text = Decimal(value).to_string();
            assert_eq!(parse_decimal(&text), Some(value), "{text}");
        }
        assert_eq!(Decimal(335_300).to_string(), "335.3");
        for bad in ["", ".5", "1.", "1.2345", "-1", "1e3", "x"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn merged_spreads_equal_one_spread_over_all_the_runs() {
        let values: Vec<(u128, u128)> = (0..500).map(|i| (i * 7919 % 1013, 1 + i % 7)).collect();
        let mut whole = Spread::default();
        let (mut even, mut odd) = (Spread::default(), Spread::default());
        for (i, &(n, d)) in values.iter().enumerate() {
            whole.add(n, d);
            if i % 2 == 0 { &mut even } else { &mut odd }.add(n, d);
        }
        odd.merge(&even);
        assert_eq!(odd, whole);
        assert_eq!(odd.figures(), whole.figures());
    }
}
