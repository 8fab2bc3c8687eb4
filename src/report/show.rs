//! Which sections of a run's text output to print, and in which form: what `kvsim run --show`
//! chooses.
//!
//! The default view prints every section in its short form — a long history counted instead of
//! listed, committed orders that agree said in one line — so that a run fits a screen. Choosing
//! sections prints only those, in full.

use std::collections::BTreeSet;

/// A part of a run's text output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Faults, statistics and cost: what happened, in numbers.
    Summary,
    /// What each operation returned (side by side when several models ran).
    History,
    /// Each replica's committed order.
    Committed,
    /// Each replica's final store.
    Stores,
    /// The checkers' verdicts and their witnesses.
    Verdicts,
}

impl Section {
    /// Every section, in the order `--show all` prints them.
    pub const ALL: [Section; 5] = [
        Section::Summary,
        Section::History,
        Section::Committed,
        Section::Stores,
        Section::Verdicts,
    ];
}

/// The sections to print, and whether in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Show {
    sections: BTreeSet<Section>,
    full: bool,
}

impl Default for Show {
    /// What a learner needs first: every section, short.
    fn default() -> Self {
        Show {
            sections: Section::ALL.into_iter().collect(),
            full: false,
        }
    }
}

impl Show {
    /// Only `sections`, each in full.
    pub fn only(sections: impl IntoIterator<Item = Section>) -> Self {
        Show {
            sections: sections.into_iter().collect(),
            full: true,
        }
    }

    /// Every section in full (`--show all`).
    pub fn everything() -> Self {
        Show::only(Section::ALL)
    }

    pub fn has(&self, section: Section) -> bool {
        self.sections.contains(&section)
    }

    /// Whether sections are printed in full rather than in the default view's short form.
    pub fn full(&self) -> bool {
        self.full
    }
}
