//! Path globs over raw name bytes: `*`, `?`, `**` (whole components) and
//! `{a,b}` alternatives (see the rule-file format in [`crate::rules`]).

/// The most alternatives one pattern may expand to.
pub const MAX_ALTERNATIVES: usize = 1024;

/// The most characters (tokens) all of one pattern's alternatives may hold
/// together: 1024 alternatives of a 1 KiB path.
pub const MAX_EXPANDED_TOKENS: usize = 1 << 20;

/// Deepest nesting of `{...}` groups.
const MAX_DEPTH: usize = 16;

/// One token of a component pattern after brace expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A literal byte.
    Byte(u8),
    /// `*`: any run of bytes (within one component).
    Star,
    /// `?`: exactly one byte.
    Quest,
}

/// One path component of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Comp {
    /// `**`: zero or more whole components.
    Globstar,
    /// A component pattern.
    Pat(Vec<Tok>),
}

/// A syntax error in a pattern: the byte offset in the pattern and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    /// Byte offset into the pattern where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// A compiled path glob.
///
/// Paths are relative to the tree root, components separated by `/`, and
/// are matched as raw bytes. A pattern ending in `/` matches directories
/// only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    source: String,
    alts: Vec<Vec<Comp>>,
    dir_only: bool,
}

/// Parsed (not yet expanded) pattern syntax.
#[derive(Debug)]
enum Node {
    Tok(Tok, usize),
    Slash,
    Group(Vec<Vec<Node>>),
}

/// An expanded token: a component token or a separator, with its offset.
#[derive(Clone, Copy, Debug)]
enum ETok {
    Tok(Tok, usize),
    Slash,
}

fn err(offset: usize, message: impl Into<String>) -> GlobError {
    GlobError {
        offset,
        message: message.into(),
    }
}

/// Parse a sequence until end of input, or (inside a group) until `,` or `}`.
fn parse_seq(p: &[u8], i: &mut usize, depth: usize) -> Result<Vec<Node>, GlobError> {
    let mut out = Vec::new();
    while *i < p.len() {
        let at = *i;
        match p[at] {
            b'\\' => {
                let Some(&b) = p.get(at + 1) else {
                    return Err(err(at, "a pattern cannot end with a lone backslash"));
                };
                if b == b'/' {
                    return Err(err(at, "a name cannot contain `/` (remove the backslash)"));
                }
                out.push(Node::Tok(Tok::Byte(b), at));
                *i += 2;
            }
            b'*' => {
                out.push(Node::Tok(Tok::Star, at));
                *i += 1;
            }
            b'?' => {
                out.push(Node::Tok(Tok::Quest, at));
                *i += 1;
            }
            b'/' => {
                out.push(Node::Slash);
                *i += 1;
            }
            b'{' => {
                if depth >= MAX_DEPTH {
                    return Err(err(
                        at,
                        format!("`{{...}}` groups nested deeper than {MAX_DEPTH}"),
                    ));
                }
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(p, i, depth + 1)?);
                    match p.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            break;
                        }
                        _ => return Err(err(at, "unclosed `{` (no matching `}`)")),
                    }
                }
                out.push(Node::Group(alts));
            }
            b',' | b'}' if depth > 0 => return Ok(out),
            b'}' => return Err(err(at, "unmatched `}` (escape it as `\\}`)")),
            b => {
                out.push(Node::Tok(Tok::Byte(b), at));
                *i += 1;
            }
        }
    }
    Ok(out)
}

/// Expand groups into the list of alternatives (cartesian product).
fn expand(seq: &[Node]) -> Result<Vec<Vec<ETok>>, GlobError> {
    let mut acc: Vec<Vec<ETok>> = vec![Vec::new()];
    for node in seq {
        match node {
            Node::Tok(t, at) => acc.iter_mut().for_each(|a| a.push(ETok::Tok(*t, *at))),
            Node::Slash => acc.iter_mut().for_each(|a| a.push(ETok::Slash)),
            Node::Group(alts) => {
                let too_many = || {
                    err(
                        0,
                        format!("pattern expands to more than {MAX_ALTERNATIVES} alternatives"),
                    )
                };
                let mut options = Vec::new();
                for alt in alts {
                    options.extend(expand(alt)?);
                    // Checked as the group grows, so a long list of
                    // alternatives is refused before it is all expanded.
                    if acc.len().saturating_mul(options.len()) > MAX_ALTERNATIVES {
                        return Err(too_many());
                    }
                }
                // The expansion's size in tokens, before it is built.
                let acc_len: usize = acc.iter().map(Vec::len).sum();
                let opt_len: usize = options.iter().map(Vec::len).sum();
                let tokens = acc
                    .len()
                    .saturating_mul(opt_len)
                    .saturating_add(options.len().saturating_mul(acc_len));
                if tokens > MAX_EXPANDED_TOKENS {
                    return Err(err(
                        0,
                        format!(
                            "pattern expands to more than {MAX_EXPANDED_TOKENS} characters in all"
                        ),
                    ));
                }
                let mut next = Vec::with_capacity(acc.len() * options.len());
                for a in &acc {
                    for o in &options {
                        let mut v = a.clone();
                        v.extend_from_slice(o);
                        next.push(v);
                    }
                }
                acc = next;
            }
        }
    }
    Ok(acc)
}

/// Split an expanded alternative into components; empty components (from
/// leading, doubled or trailing `/`) are dropped.
fn components(alt: &[ETok]) -> Result<Vec<Comp>, GlobError> {
    let mut comps = Vec::new();
    for part in alt.split(|t| matches!(t, ETok::Slash)) {
        if part.is_empty() {
            continue;
        }
        let toks: Vec<(Tok, usize)> = part
            .iter()
            .filter_map(|t| match t {
                ETok::Tok(t, at) => Some((*t, *at)),
                ETok::Slash => None,
            })
            .collect();
        if toks.len() == 2 && toks.iter().all(|(t, _)| *t == Tok::Star) {
            comps.push(Comp::Globstar);
            continue;
        }
        if let Some(w) = toks
            .windows(2)
            .find(|w| w[0].0 == Tok::Star && w[1].0 == Tok::Star)
        {
            return Err(err(
                w[0].1,
                "`**` must be a whole path component (like `a/**/b`)",
            ));
        }
        let bytes: Vec<Tok> = toks.iter().map(|(t, _)| *t).collect();
        if bytes == [Tok::Byte(b'.')] || bytes == [Tok::Byte(b'.'), Tok::Byte(b'.')] {
            return Err(err(toks[0].1, "`.` and `..` components are not allowed"));
        }
        comps.push(Comp::Pat(bytes));
    }
    Ok(comps)
}

/// Match one component pattern against one name (iterative, backtracking to
/// the last `*`).
fn comp_match(p: &[Tok], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Star) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::Quest) => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Byte(b)) if *b == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|t| *t == Tok::Star)
}

/// Match an alternative's components against path components.
fn alt_match(pat: &[Comp], path: &[&[u8]]) -> bool {
    if !pat.iter().any(|c| matches!(c, Comp::Globstar)) {
        return pat.len() == path.len()
            && pat.iter().zip(path).all(|(c, s)| match c {
                Comp::Pat(p) => comp_match(p, s),
                Comp::Globstar => false,
            });
    }
    // dp[j] = pat[i..] matches path[j..], computed for i from the end.
    let n = path.len();
    let mut next = vec![false; n + 1];
    next[n] = true;
    for c in pat.iter().rev() {
        let mut cur = vec![false; n + 1];
        for j in (0..=n).rev() {
            cur[j] = match c {
                Comp::Globstar => next[j] || (j < n && cur[j + 1]),
                Comp::Pat(p) => j < n && comp_match(p, path[j]) && next[j + 1],
            };
        }
        next = cur;
    }
    next[0]
}

impl Glob {
    /// Compile `pattern` (raw bytes; `source` is how it is shown in reports).
    pub fn new(pattern: &[u8], source: &str) -> Result<Glob, GlobError> {
        if pattern.is_empty() {
            return Err(err(0, "empty pattern"));
        }
        let mut body = pattern;
        let mut dir_only = false;
        if body.len() > 1 && body.ends_with(b"/") && !body.ends_with(b"\\/") {
            dir_only = true;
            body = &body[..body.len() - 1];
        }
        let mut i = 0;
        let seq = parse_seq(body, &mut i, 0)?;
        let mut alts = Vec::new();
        for alt in expand(&seq)? {
            let comps = components(&alt)?;
            if comps.is_empty() {
                return Err(err(
                    0,
                    "an alternative of this pattern is empty (it would name the root directory)",
                ));
            }
            alts.push(comps);
        }
        Ok(Glob {
            source: source.to_string(),
            alts,
            dir_only,
        })
    }

    /// The pattern as written in the rule file.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the pattern ends in `/` and so matches directories only.
    pub fn dir_only(&self) -> bool {
        self.dir_only
    }

    /// Whether the entry with path components `comps` (relative to the
    /// root; never empty) matches; `is_dir` tells whether it is a directory.
    pub fn matches_comps(&self, comps: &[&[u8]], is_dir: bool) -> bool {
        if comps.is_empty() || (self.dir_only && !is_dir) {
            return false;
        }
        self.alts.iter().any(|a| alt_match(a, comps))
    }

    /// [`Glob::matches_comps`] on a `/`-separated path (leading `/` and empty
    /// components ignored).
    pub fn matches(&self, path: &[u8], is_dir: bool) -> bool {
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        self.matches_comps(&comps, is_dir)
    }

    /// When no alternative has a wildcard: the exact paths it names
    /// (components joined by `/`, in expansion order, without duplicates).
    pub fn literal_paths(&self) -> Option<Vec<Vec<u8>>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for alt in &self.alts {
            let mut path = Vec::new();
            for (k, c) in alt.iter().enumerate() {
                let Comp::Pat(toks) = c else { return None };
                if k > 0 {
                    path.push(b'/');
                }
                for t in toks {
                    let Tok::Byte(b) = t else { return None };
                    path.push(*b);
                }
            }
            if !out.contains(&path) {
                out.push(path);
            }
        }
        Some(out)
    }
}

impl std::fmt::Display for Glob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(p: &str) -> Glob {
        Glob::new(p.as_bytes(), p).unwrap()
    }
    fn m(p: &str, path: &str) -> bool {
        g(p).matches(path.as_bytes(), false)
    }

    #[test]
    fn huge_groups_are_refused_before_they_are_expanded() {
        // 3,000 alternatives of 1,024 each: refused after the second, with
        // no million-entry list built first.
        let alt = format!("{{{}}}", ["{a,b}"; 10].join(""));
        let p = format!("{{{}}}", vec![alt.as_str(); 3000].join(","));
        let e = Glob::new(p.as_bytes(), &p).unwrap_err().message;
        assert!(e.contains("more than 1024 alternatives"), "{e}");
        // 1,000 alternatives of 2 KiB each fit the count but not the size.
        let long = "x".repeat(2048);
        let p = format!(
            "{{{}}}",
            (0..1000)
                .map(|i| format!("{long}{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let e = Glob::new(p.as_bytes(), &p).unwrap_err().message;
        assert!(e.contains("characters in all"), "{e}");
    }

    #[test]
    fn stars_and_questions_stay_in_one_component() {
        assert!(m("kernel/drv/e1000g*", "kernel/drv/e1000g"));
        assert!(m("kernel/drv/e1000g*", "kernel/drv/e1000g.conf"));
        assert!(!m("kernel/drv/e1000g*", "kernel/drv/amd64/e1000g"));
        assert!(!m("kernel/drv/*", "kernel/drv/amd64/e1000g"));
        assert!(m("kernel/*/*", "kernel/drv/sd"));
        assert!(m("etc/rc?", "etc/rcS"));
        assert!(!m("etc/rc?", "etc/rc"));
        assert!(!m("etc/rc?", "etc/rc2.d"));
        assert!(m("etc/rc?.d", "etc/rc2.d"));
        assert!(m("*", "anything"));
        assert!(m("*", ".hidden"), "`*` matches a leading dot");
        assert!(!m("*", "a/b"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn globstar_spans_zero_or_more_components() {
        assert!(m("usr/**/amd64", "usr/amd64"));
        assert!(m("usr/**/amd64", "usr/lib/amd64"));
        assert!(m("usr/**/amd64", "usr/lib/secure/amd64"));
        assert!(!m("usr/**/amd64", "usr/lib/amd64/libc.so.1"));
        assert!(m("usr/**", "usr"));
        assert!(m("usr/**", "usr/a/b/c"));
        assert!(!m("usr/**", "usrx"));
        assert!(m("**/amd64", "amd64"));
        assert!(m("**/amd64", "platform/i86pc/kernel/amd64"));
        assert!(m("**", "a/b"));
        assert!(m("a/**/b/**/c", "a/b/c"));
        assert!(m("a/**/b/**/c", "a/x/b/y/z/c"));
        assert!(!m("a/**/b/**/c", "a/x/y/c"));
    }

    #[test]
    fn braces_expand_across_components() {
        let gl = g("kernel/drv/{,amd64/}{e1000g,vnic}*");
        for p in [
            "kernel/drv/e1000g",
            "kernel/drv/vnic.conf",
            "kernel/drv/amd64/e1000g",
            "kernel/drv/amd64/vnic",
        ] {
            assert!(gl.matches(p.as_bytes(), false), "{p}");
        }
        assert!(!gl.matches(b"kernel/drv/aggr", false));
        assert!(m("{usr/kernel,kernel}/drv/x", "usr/kernel/drv/x"));
        assert!(m("a{b,c{d,e}}f", "acef"));
        assert!(m("a{,b}", "a"));
        assert!(m("lib/lib{dladm,gen}.so.1", "lib/libgen.so.1"));
        assert!(m("a\\{b", "a{b"));
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(m("x,y", "x,y"), "a comma outside braces is literal");
    }

    #[test]
    fn dir_only_and_literals() {
        let gl = g("usr/**/amd64/");
        assert!(gl.dir_only());
        assert!(gl.matches(b"usr/lib/amd64", true));
        assert!(!gl.matches(b"usr/lib/amd64", false));
        assert_eq!(
            g("etc/{minor_perm,name_to_major}").literal_paths(),
            Some(vec![
                b"etc/minor_perm".to_vec(),
                b"etc/name_to_major".to_vec()
            ])
        );
        assert_eq!(
            g("/etc//passwd").literal_paths(),
            Some(vec![b"etc/passwd".to_vec()])
        );
        assert_eq!(g("etc/*").literal_paths(), None);
        assert_eq!(g("etc/**/x").literal_paths(), None);
        assert!(g("/etc").matches(b"etc", false));
        assert!(!g("etc").matches(b"", true), "the root never matches");
    }

    #[test]
    fn errors_carry_offsets() {
        let e = |p: &str| Glob::new(p.as_bytes(), p).unwrap_err();
        assert_eq!(e("").offset, 0);
        let x = e("kernel/{a,b");
        assert_eq!(x.offset, 7);
        assert!(x.message.contains("unclosed"), "{}", x.message);
        assert_eq!(e("a}b").offset, 1);
        assert_eq!(e("a/b**").offset, 3);
        assert!(e("a/b**").message.contains("whole path component"));
        assert_eq!(e("a/../b").offset, 2);
        assert_eq!(e("a/./b").offset, 2);
        assert_eq!(e("abc\\").offset, 3);
        assert_eq!(e("a\\/b").offset, 1);
        assert!(e("{,}").message.contains("empty"));
        assert!(e("/").message.contains("empty"));
        let big = "{a,b,c,d}".repeat(6);
        assert!(e(&big).message.contains("alternatives"));
        let deep = format!("{}x{}", "{".repeat(20), "}".repeat(20));
        assert!(e(&deep).message.contains("nested"));
    }

    /// A deliberately different matcher: textual brace expansion, then
    /// naive recursion over whole components and bytes.
    mod reference {
        pub fn expand(p: &str) -> Vec<String> {
            let b = p.as_bytes();
            let Some(open) = b.iter().position(|&c| c == b'{') else {
                return vec![p.to_string()];
            };
            let (mut depth, mut close, mut cuts) = (0, None, vec![open]);
            for (i, &c) in b.iter().enumerate().skip(open) {
                match c {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(i);
                            break;
                        }
                    }
                    b',' if depth == 1 => cuts.push(i),
                    _ => {}
                }
            }
            let close = close.expect("balanced");
            cuts.push(close);
            let mut out = Vec::new();
            for w in cuts.windows(2) {
                let s = format!("{}{}{}", &p[..open], &p[w[0] + 1..w[1]], &p[close + 1..]);
                out.extend(expand(&s));
            }
            out
        }
        fn wild(p: &[u8], s: &[u8]) -> bool {
            match p.first() {
                None => s.is_empty(),
                Some(b'*') => wild(&p[1..], s) || (!s.is_empty() && wild(p, &s[1..])),
                Some(b'?') => !s.is_empty() && wild(&p[1..], &s[1..]),
                Some(c) => s.first() == Some(c) && wild(&p[1..], &s[1..]),
            }
        }
        fn rec(pc: &[&str], sc: &[&str]) -> bool {
            match pc.first() {
                None => sc.is_empty(),
                Some(&"**") => rec(&pc[1..], sc) || (!sc.is_empty() && rec(pc, &sc[1..])),
                Some(p) => {
                    !sc.is_empty()
                        && wild(p.as_bytes(), sc[0].as_bytes())
                        && rec(&pc[1..], &sc[1..])
                }
            }
        }
        pub fn matches(pattern: &str, path: &str) -> bool {
            let sc: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
            expand(pattern).iter().any(|alt| {
                let pc: Vec<&str> = alt.split('/').filter(|c| !c.is_empty()).collect();
                rec(&pc, &sc)
            })
        }
    }

    fn component() -> impl Strategy<Value = String> {
        let atoms =
            proptest::collection::vec(proptest::sample::select(vec!["a", "b", "?", "*"]), 1..4)
                .prop_map(|v| {
                    let mut s = v.concat();
                    while s.contains("**") {
                        s = s.replace("**", "*");
                    }
                    s
                });
        let alt =
            proptest::collection::vec(proptest::sample::select(vec!["a", "b", "?", "/", ""]), 0..3)
                .prop_map(|v| v.concat());
        let group =
            proptest::collection::vec(alt, 2..4).prop_map(|v| format!("{{{}}}", v.join(",")));
        prop_oneof![
            3 => atoms.clone(),
            1 => Just("**".to_string()),
            2 => (atoms, group).prop_map(|(a, g)| format!("{a}{g}")),
        ]
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_reference(
            pat in proptest::collection::vec(component(), 1..4).prop_map(|v| v.join("/")),
            path in proptest::collection::vec("[ab]{1,3}", 1..5).prop_map(|v| v.join("/")),
        ) {
            let g = Glob::new(pat.as_bytes(), &pat).unwrap();
            prop_assert_eq!(g.matches(path.as_bytes(), false), reference::matches(&pat, &path),
                "pattern {} path {}", pat, path);
        }

        #[test]
        fn literal_patterns_match_exactly_themselves(
            pat in proptest::collection::vec("[ab]{1,3}", 1..4).prop_map(|v| v.join("/")),
            path in proptest::collection::vec("[ab]{1,3}", 1..4).prop_map(|v| v.join("/")),
        ) {
            let g = Glob::new(pat.as_bytes(), &pat).unwrap();
            prop_assert_eq!(g.literal_paths(), Some(vec![pat.as_bytes().to_vec()]));
            prop_assert_eq!(g.matches(path.as_bytes(), true), pat == path);
        }
    }
}
