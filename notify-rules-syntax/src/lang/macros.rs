//! The macros that turn the rows in [`super`] into enums and their methods, the
//! way `notify_rules::model`'s `open_enum!` turns wire names into enums.
//!
//! A row says how its clause is written (its shape); everything that depends
//! on the shape alone is generated from it, so no consumer lists the clauses
//! again except to give them their meaning.

/// A table of names (`Building`, `Failed`, ...): an enum whose variants are
/// the names as written, with [`super::Name`].
macro_rules! names {
    (
        $(#[$meta:meta])*
        pub enum $Name:ident: $what:literal $(($case:ident))? { $($V:ident),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Name {
            $( #[doc = concat!("`", stringify!($V), "`")] $V, )+
        }

        impl $Name {
            /// Every name, for parsing and suggestions.
            pub const ALL: [(&'static str, $Name); [$(stringify!($V)),+].len()] =
                [$((stringify!($V), $Name::$V)),+];

            /// The name as written.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $Name::$V => stringify!($V), )+
                }
            }

            /// Looks a name up, as written (names are capitalised, and a name
            /// in another case is a mistake that gets a suggestion), or in
            /// any ASCII case for a table that ignores it.
            pub fn from_name(name: &str) -> Option<$Name> {
                match name {
                    $( stringify!($V) => Some($Name::$V), )+
                    _ if <$Name as $crate::lang::Name>::IGNORES_CASE => $Name::ALL
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map(|(_, v)| *v),
                    _ => None,
                }
            }
        }

        impl $crate::lang::Name for $Name {
            const WHAT: &'static str = $what;
            const IGNORES_CASE: bool = names!(@case $($case)?);

            fn table() -> &'static [(&'static str, Self)] {
                &$Name::ALL
            }

            fn as_str(self) -> &'static str {
                $Name::as_str(self)
            }
        }
    };
    (@case ignore_case) => { true };
    (@case) => { false };
}

/// A table of clauses: the condition enum (what a clause tests, with its
/// arguments), the kind enum (which clause it is), and what the parser, the
/// checks and the messages need to know of each.
///
/// A row is `Variant = "word": Shape`, the shape a [`super::Shape`] with what
/// that shape needs to know:
/// - `Patterns(ignore_case)` or `Patterns(match_case)`: `pattern { | pattern }`;
/// - `Names(Table)`: `NAME { | NAME }` from a [`names!`] table;
/// - `PatternsThenNames(case, Table)`: patterns, then optionally names (`job`);
/// - `Transition(Completed)`: no arguments; a comparison with the previous
///   run, which holds only for a run that completed as `Completed`;
/// - `Bare`: no arguments;
/// - `Guard`: a Rust expression (`rules!` only).
macro_rules! clauses {
    (
        $(#[$cmeta:meta])*
        pub enum $Cond:ident;
        $(#[$kmeta:meta])*
        pub enum $Kind:ident;
        $( $(#[$vmeta:meta])* $V:ident = $word:literal : $shape:ident $(($($arg:tt)*))? ),+ $(,)?
    ) => {
        clauses!(@condition [$(#[$cmeta])* $Cond] [] $( [$(#[$vmeta])* $V $shape $(($($arg)*))?] )+);

        $(#[$kmeta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Kind {
            $( $(#[$vmeta])* $V, )+
        }

        impl $Kind {
            /// Every kind, in the order of the table.
            pub const ALL: [$Kind; [$($word),+].len()] = [$($Kind::$V),+];

            /// Every clause word, for suggestions.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The word that starts the clause.
            pub fn word(self) -> &'static str {
                match self {
                    $( $Kind::$V => $word, )+
                }
            }

            /// The clause a word starts.
            pub fn from_word(word: &str) -> Option<$Kind> {
                match word {
                    $( $word => Some($Kind::$V), )+
                    _ => None,
                }
            }

            /// How the clause's arguments are written.
            pub fn shape(self) -> $crate::lang::Shape {
                match self {
                    $( $Kind::$V => clause_shape!(@shape $shape), )+
                }
            }

            /// Whether the clause's patterns match without regard to ASCII case:
            /// so for the names GoCD itself treats so.
            pub fn ignores_case(self) -> bool {
                match self {
                    $( $Kind::$V => clause_shape!(@ignores_case $shape $(($($arg)*))?), )+
                }
            }

            /// For a transition, the state and result its stage run must have
            /// completed with.
            pub fn needs_completed(self) -> Option<(StateName, ResultName)> {
                match self {
                    $( $Kind::$V => clause_shape!(@completed $shape $(($($arg)*))?), )+
                }
            }
        }

        impl $Cond {
            /// The clause's kind.
            pub fn kind(&self) -> $Kind {
                match self {
                    $( $Cond::$V { .. } => $Kind::$V, )+
                }
            }

            /// The clause's patterns; none for a clause that takes none.
            pub fn patterns(&self) -> &[Pattern] {
                match self {
                    $( $Cond::$V { .. } => clause_shape!(@patterns $shape; self, $Cond, $V), )+
                }
            }

            /// Two clauses of one kind said as one (`stage "a" | "b"`), when their
            /// arguments are lists that can be joined.
            pub fn merged(&self, other: &$Cond) -> Option<$Cond> {
                match self {
                    $( $Cond::$V { .. } => clause_shape!(@merged $shape; self, other, $Cond, $V), )+
                }
            }

            /// Writes the arguments as the rule language writes them, each
            /// after a space.
            fn fmt_args(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    $( $Cond::$V { .. } => clause_shape!(@fmt $shape; self, f, $Cond, $V), )+
                }
            }

            /// Reads the arguments of a clause of `kind`, its word just read.
            pub(crate) fn read(kind: $Kind, r: &mut impl $crate::lang::ReadArgs) -> Option<$Cond> {
                let word = kind.word();
                Some(match kind {
                    $( $Kind::$V => clause_shape!(@read $shape $(($($arg)*))?; r, word, $Cond, $V), )+
                })
            }
        }

        impl $crate::lang::Table for $Cond {
            type Kind = $Kind;

            fn kind(&self) -> $Kind {
                $Cond::kind(self)
            }

            fn word(kind: $Kind) -> &'static str {
                kind.word()
            }

            fn shape(kind: $Kind) -> $crate::lang::Shape {
                kind.shape()
            }

            fn merged(&self, other: &$Cond) -> Option<$Cond> {
                $Cond::merged(self, other)
            }
        }

        impl ::std::fmt::Display for $Cond {
            /// The clause as written, without `not`: `stage "a" | "b"`.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.kind().word())?;
                self.fmt_args(f)
            }
        }
    };

    // The condition enum, one variant a row, its fields by shape.
    (@condition $head:tt [$($done:tt)*] [$(#[$m:meta])* $V:ident Patterns $a:tt] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V(Vec<Pattern>),] $($rest)*);
    };
    (@condition $head:tt [$($done:tt)*] [$(#[$m:meta])* $V:ident Names ($N:ident)] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V(Vec<$N>),] $($rest)*);
    };
    (@condition $head:tt [$($done:tt)*]
        [$(#[$m:meta])* $V:ident PatternsThenNames ($case:ident, $N:ident)] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V(Vec<Pattern>, Vec<$N>),] $($rest)*);
    };
    (@condition $head:tt [$($done:tt)*] [$(#[$m:meta])* $V:ident Transition $a:tt] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V,] $($rest)*);
    };
    (@condition $head:tt [$($done:tt)*] [$(#[$m:meta])* $V:ident Bare] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V,] $($rest)*);
    };
    (@condition $head:tt [$($done:tt)*] [$(#[$m:meta])* $V:ident Guard] $($rest:tt)*) => {
        clauses!(@condition $head [$($done)* $(#[$m])* $V(TokenStream),] $($rest)*);
    };
    (@condition [$(#[$cmeta:meta])* $Cond:ident] [$($done:tt)*]) => {
        $(#[$cmeta])*
        #[derive(Debug, Clone)]
        pub enum $Cond {
            $($done)*
        }
    };
}

/// What [`clauses!`] generates for one row, by the row's shape.
macro_rules! clause_shape {
    (@shape $shape:ident) => {
        $crate::lang::Shape::$shape
    };

    (@ignores_case Patterns (ignore_case)) => {
        true
    };
    (@ignores_case Patterns (match_case)) => {
        false
    };
    (@ignores_case PatternsThenNames (ignore_case, $N:ident)) => {
        true
    };
    (@ignores_case PatternsThenNames (match_case, $N:ident)) => {
        false
    };
    (@ignores_case $($other:tt)*) => {
        false
    };

    (@completed Transition ($C:ident)) => {
        Some((StateName::$C, ResultName::$C))
    };
    (@completed $($other:tt)*) => {
        None
    };

    (@patterns Patterns; $s:expr, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(p) => p,
            _ => &[],
        }
    };
    (@patterns PatternsThenNames; $s:expr, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(p, _) => p,
            _ => &[],
        }
    };
    (@patterns $shape:ident; $s:expr, $Cond:ident, $V:ident) => {
        &[]
    };

    (@merged Patterns; $s:expr, $o:expr, $Cond:ident, $V:ident) => {
        match ($s, $o) {
            ($Cond::$V(a), $Cond::$V(b)) => Some($Cond::$V(a.iter().chain(b).cloned().collect())),
            _ => None,
        }
    };
    // Lists of names join as lists of patterns do.
    (@merged Names; $($rest:tt)*) => { clause_shape!(@merged Patterns; $($rest)*) };
    // Patterns join only when the names after them are the same.
    (@merged PatternsThenNames; $s:expr, $o:expr, $Cond:ident, $V:ident) => {
        match ($s, $o) {
            ($Cond::$V(a, na), $Cond::$V(b, nb)) if na == nb => {
                Some($Cond::$V(a.iter().chain(b).cloned().collect(), na.clone()))
            }
            _ => None,
        }
    };
    (@merged $shape:ident; $s:expr, $o:expr, $Cond:ident, $V:ident) => {
        None
    };

    (@fmt Patterns; $s:expr, $f:ident, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(p) => $crate::lang::write_list($f, p.iter()),
            _ => Ok(()),
        }
    };
    (@fmt Names; $s:expr, $f:ident, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(n) => $crate::lang::write_list($f, n.iter().map(|n| n.as_str())),
            _ => Ok(()),
        }
    };
    (@fmt PatternsThenNames; $s:expr, $f:ident, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(p, n) => {
                $crate::lang::write_list($f, p.iter())?;
                $crate::lang::write_list($f, n.iter().map(|n| n.as_str()))
            }
            _ => Ok(()),
        }
    };
    (@fmt Guard; $s:expr, $f:ident, $Cond:ident, $V:ident) => {
        match $s {
            $Cond::$V(expr) => write!($f, " {expr}"),
            _ => Ok(()),
        }
    };
    (@fmt $shape:ident; $s:expr, $f:ident, $Cond:ident, $V:ident) => {
        Ok(())
    };

    (@read Patterns $a:tt; $r:ident, $word:ident, $Cond:ident, $V:ident) => {
        $Cond::$V($r.patterns($word)?)
    };
    (@read Names ($N:ident); $r:ident, $word:ident, $Cond:ident, $V:ident) => {
        $Cond::$V($r.names::<$N>($word)?)
    };
    (@read PatternsThenNames ($case:ident, $N:ident); $r:ident, $word:ident, $Cond:ident, $V:ident) => {{
        let (patterns, names) = $r.patterns_then_names::<$N>($word)?;
        $Cond::$V(patterns, names)
    }};
    (@read Guard; $r:ident, $word:ident, $Cond:ident, $V:ident) => {
        $Cond::$V($r.guard()?)
    };
    (@read Transition $a:tt; $r:ident, $word:ident, $Cond:ident, $V:ident) => {
        $Cond::$V
    };
    (@read Bare; $r:ident, $word:ident, $Cond:ident, $V:ident) => {
        $Cond::$V
    };
}
