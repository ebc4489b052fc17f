//! The condition language of policy packs (ADR 0003).
//!
//! ```text
//! expr    := and ( "or" and )*
//! and     := unary ( "and" unary )*
//! unary   := "not" unary | primary
//! primary := "(" expr ")" | "true" | "false"
//!          | FIELD op literal              op: == != < <= > >=
//!          | FIELD "in" "[" literal ( "," literal )* "]"
//!          | FIELD "is" [ "not" ] "set"
//! literal := 'text' | "text" | number | true | false
//! ```
//!
//! Conditions are parsed into an [`Expr`] and evaluated over a ticket's
//! fields; nothing is ever executed as code. Comparisons are typed:
//! numbers compare numerically, text and choices by equality, dates and
//! date-times chronologically against `'YYYY-MM-DD'` / RFC 3339 literals. A
//! field that is not set, or a value of another type, makes a comparison
//! false.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{FieldValue, Fields};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    fn test(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "'{s}'"),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A field named in a condition, with its 0-based character offset.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    pub name: String,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(bool),
    Compare {
        field: FieldRef,
        op: CmpOp,
        value: Literal,
        /// Offset of the literal, for error messages.
        value_at: usize,
    },
    In {
        field: FieldRef,
        values: Vec<(Literal, usize)>,
    },
    IsSet(FieldRef),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// A parse error at a 0-based character offset of the condition text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 列：{}", self.offset + 1, self.message)
    }
}

impl std::error::Error for ConditionError {}

/// A parsed condition together with its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub text: String,
    pub expr: Expr,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        Ok(Condition {
            text: text.to_string(),
            expr: parse(text)?,
        })
    }

    pub fn holds(&self, fields: &Fields) -> bool {
        evaluate(&self.expr, fields)
    }

    /// An absent condition always holds.
    pub fn holds_opt(c: Option<&Condition>, fields: &Fields) -> bool {
        c.is_none_or(|c| c.holds(fields))
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Op(CmpOp),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("「{s}」"),
            Tok::Str(s) => format!("字符串 '{s}'"),
            Tok::Num(n) => format!("数字 {n}"),
            Tok::Op(o) => format!("「{}」", o.as_str()),
            Tok::LParen => "「(」".into(),
            Tok::RParen => "「)」".into(),
            Tok::LBracket => "「[」".into(),
            Tok::RBracket => "「]」".into(),
            Tok::Comma => "「,」".into(),
            Tok::End => "条件结尾".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ConditionError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |offset: usize, message: String| Err(ConditionError { offset, message });
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push((Tok::LParen, start));
                i += 1;
            }
            ')' => {
                out.push((Tok::RParen, start));
                i += 1;
            }
            '[' => {
                out.push((Tok::LBracket, start));
                i += 1;
            }
            ']' => {
                out.push((Tok::RBracket, start));
                i += 1;
            }
            ',' => {
                out.push((Tok::Comma, start));
                i += 1;
            }
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('=', Some('=')) => (CmpOp::Eq, 2),
                    ('!', Some('=')) => (CmpOp::Ne, 2),
                    ('<', Some('=')) => (CmpOp::Le, 2),
                    ('>', Some('=')) => (CmpOp::Ge, 2),
                    ('<', _) => (CmpOp::Lt, 1),
                    ('>', _) => (CmpOp::Gt, 1),
                    ('=', _) => return err(start, "比较相等请写「==」".into()),
                    _ => return err(start, "「!」须写作「!=」，取反请用 not".into()),
                };
                out.push((Tok::Op(op), start));
                i += len;
            }
            '\'' | '"' => {
                let quote = c;
                i += 1;
                let mut s = String::new();
                loop {
                    match chars.get(i) {
                        None => return err(start, "字符串缺少结束引号".into()),
                        Some(&ch) if ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Str(s), start));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let lit: String = chars[start..i].iter().collect();
                match lit.parse::<f64>() {
                    Ok(n) if n.is_finite() => out.push((Tok::Num(n), start)),
                    _ => return err(start, format!("无效的数字「{lit}」")),
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), start));
            }
            other => return err(start, format!("无法识别的字符「{other}」")),
        }
    }
    out.push((Tok::End, chars.len()));
    Ok(out)
}

// ---------------------------------------------------------------- parser

const KEYWORDS: [&str; 7] = ["and", "or", "not", "in", "is", "set", "true"];

fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s) || s == "false"
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn at(&self) -> usize {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == w)
    }

    fn fail<T>(&self, expected: &str) -> Result<T, ConditionError> {
        Err(ConditionError {
            offset: self.at(),
            message: format!("此处应为{expected}，实际为{}", self.peek().describe()),
        })
    }

    fn expr(&mut self) -> Result<Expr, ConditionError> {
        let mut left = self.and()?;
        while self.is_word("or") {
            self.bump();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ConditionError> {
        let mut left = self.unary()?;
        while self.is_word("and") {
            self.bump();
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ConditionError> {
        if self.is_word("not") {
            self.bump();
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ConditionError> {
        match self.peek().clone() {
            Tok::LParen => {
                self.bump();
                let e = self.expr()?;
                if *self.peek() != Tok::RParen {
                    return self.fail("「)」");
                }
                self.bump();
                Ok(e)
            }
            Tok::Ident(w) if w == "true" || w == "false" => {
                self.bump();
                Ok(Expr::Const(w == "true"))
            }
            Tok::Ident(w) if !is_keyword(&w) => {
                let (_, at) = self.bump();
                let field = FieldRef { name: w, at };
                self.after_field(field)
            }
            _ => self.fail("字段名、true、false、not 或「(」"),
        }
    }

    fn after_field(&mut self, field: FieldRef) -> Result<Expr, ConditionError> {
        match self.peek().clone() {
            Tok::Op(op) => {
                self.bump();
                let (value, value_at) = self.literal()?;
                Ok(Expr::Compare {
                    field,
                    op,
                    value,
                    value_at,
                })
            }
            Tok::Ident(w) if w == "in" => {
                self.bump();
                if *self.peek() != Tok::LBracket {
                    return self.fail("「[」");
                }
                self.bump();
                let mut values = vec![self.literal()?];
                while *self.peek() == Tok::Comma {
                    self.bump();
                    values.push(self.literal()?);
                }
                if *self.peek() != Tok::RBracket {
                    return self.fail("「,」或「]」");
                }
                self.bump();
                Ok(Expr::In { field, values })
            }
            Tok::Ident(w) if w == "is" => {
                self.bump();
                let negated = self.is_word("not");
                if negated {
                    self.bump();
                }
                if !self.is_word("set") {
                    return self.fail("「set」");
                }
                self.bump();
                let e = Expr::IsSet(field);
                Ok(if negated { Expr::Not(Box::new(e)) } else { e })
            }
            _ => self.fail("比较运算符（== != < <= > >=）、in 或 is set"),
        }
    }

    fn literal(&mut self) -> Result<(Literal, usize), ConditionError> {
        let at = self.at();
        let lit = match self.peek().clone() {
            Tok::Str(s) => Literal::Str(s),
            Tok::Num(n) => Literal::Num(n),
            Tok::Ident(w) if w == "true" => Literal::Bool(true),
            Tok::Ident(w) if w == "false" => Literal::Bool(false),
            _ => return self.fail("字面量（'文本'、数字、true 或 false）"),
        };
        self.bump();
        Ok((lit, at))
    }
}

/// Parses a condition; the error carries the 0-based character offset.
pub fn parse(text: &str) -> Result<Expr, ConditionError> {
    let toks = tokenize(text)?;
    let mut p = Parser { toks, pos: 0 };
    if *p.peek() == Tok::End {
        return Err(ConditionError {
            offset: 0,
            message: "条件为空".into(),
        });
    }
    let e = p.expr()?;
    if *p.peek() != Tok::End {
        return p.fail("and、or 或条件结尾");
    }
    Ok(e)
}

// ------------------------------------------------------------ evaluation

/// Evaluates a condition over the fields. Unknown or unset fields make
/// comparisons false.
pub fn evaluate(expr: &Expr, fields: &Fields) -> bool {
    match expr {
        Expr::Const(b) => *b,
        Expr::Compare {
            field, op, value, ..
        } => match fields.get(&field.name) {
            Some(v) if v.is_set() => compare(v, *op, value),
            _ => false,
        },
        Expr::In { field, values } => match fields.get(&field.name) {
            Some(v) if v.is_set() => values.iter().any(|(l, _)| compare(v, CmpOp::Eq, l)),
            _ => false,
        },
        Expr::IsSet(field) => fields.get(&field.name).is_some_and(FieldValue::is_set),
        Expr::Not(e) => !evaluate(e, fields),
        Expr::And(a, b) => evaluate(a, fields) && evaluate(b, fields),
        Expr::Or(a, b) => evaluate(a, fields) || evaluate(b, fields),
    }
}

fn compare(v: &FieldValue, op: CmpOp, lit: &Literal) -> bool {
    let ord = match (v, lit) {
        (FieldValue::Integer(_) | FieldValue::Number(_), Literal::Num(n)) => {
            match v.as_number().and_then(|x| x.partial_cmp(n)) {
                Some(o) => o,
                None => return false,
            }
        }
        // Money against the literal as written (the shortest decimal that
        // reads back as it), exactly: 299999.99 is below 300000.
        (FieldValue::Money(m), Literal::Num(n)) => {
            match n.to_string().parse::<rust_decimal::Decimal>() {
                Ok(l) => m.cmp(&l),
                Err(_) => return false,
            }
        }
        (FieldValue::Text(s), Literal::Str(l)) if !op.is_ordering() => s.cmp(l),
        (FieldValue::Bool(b), Literal::Bool(l)) if !op.is_ordering() => b.cmp(l),
        (FieldValue::Date(d), Literal::Str(l)) => match parse_date(l) {
            Some(l) => d.cmp(&l),
            None => return false,
        },
        (FieldValue::DateTime(d), Literal::Str(l)) => match parse_datetime(l) {
            Some(l) => d.cmp(&l),
            None => return false,
        },
        _ => return false,
    };
    op.test(ord)
}

pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

impl Expr {
    /// Names of the fields the condition reads.
    pub fn referenced_fields(&self) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        self.visit_fields(&mut |f| {
            out.insert(f.name.as_str());
        });
        out
    }

    /// Every field reference with its offset, in text order.
    pub fn field_refs(&self) -> Vec<&FieldRef> {
        let mut out = Vec::new();
        self.visit_fields(&mut |f| out.push(f));
        out
    }

    fn visit_fields<'a>(&'a self, f: &mut impl FnMut(&'a FieldRef)) {
        match self {
            Expr::Const(_) => {}
            Expr::Compare { field, .. } | Expr::In { field, .. } | Expr::IsSet(field) => f(field),
            Expr::Not(e) => e.visit_fields(f),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit_fields(f);
                b.visit_fields(f);
            }
        }
    }

    /// Every comparison (field, operator, literal, literal offset), for
    /// type checks; `in` lists count as `==`.
    pub fn comparisons(&self) -> Vec<(&FieldRef, CmpOp, &Literal, usize)> {
        let mut out = Vec::new();
        self.visit_comparisons(&mut out);
        out
    }

    fn visit_comparisons<'a>(&'a self, out: &mut Vec<(&'a FieldRef, CmpOp, &'a Literal, usize)>) {
        match self {
            Expr::Compare {
                field,
                op,
                value,
                value_at,
            } => out.push((field, *op, value, *value_at)),
            Expr::In { field, values } => {
                for (l, at) in values {
                    out.push((field, CmpOp::Eq, l, *at));
                }
            }
            Expr::Const(_) | Expr::IsSet(_) => {}
            Expr::Not(e) => e.visit_comparisons(out),
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit_comparisons(out);
                b.visit_comparisons(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, FieldValue)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    fn eval(cond: &str, f: &Fields) -> bool {
        evaluate(&parse(cond).unwrap_or_else(|e| panic!("{cond}: {e}")), f)
    }

    #[test]
    fn precedence_not_and_or() {
        // a or b and c == a or (b and c)
        let e = parse("a == 1 or b == 2 and c == 3").unwrap();
        assert!(matches!(e, Expr::Or(_, ref r) if matches!(**r, Expr::And(_, _))));
        let e = parse("not a is set and b is set").unwrap();
        assert!(matches!(e, Expr::And(ref l, _) if matches!(**l, Expr::Not(_))));
        let e = parse("(a == 1 or b == 2) and c == 3").unwrap();
        assert!(matches!(e, Expr::And(ref l, _) if matches!(**l, Expr::Or(_, _))));
    }

    #[test]
    fn typed_comparisons() {
        let f = fields(&[
            ("level", text("major")),
            ("affected_pct", FieldValue::Number(80.0)),
            ("count", FieldValue::Integer(9)),
            ("urgent", FieldValue::Bool(true)),
            (
                "planned",
                FieldValue::Date(NaiveDate::from_ymd_opt(2026, 10, 8).unwrap()),
            ),
            ("blank", text("  ")),
        ]);
        assert!(eval("level == 'major'", &f));
        assert!(eval("level == \"major\"", &f));
        assert!(!eval("level != 'major'", &f));
        assert!(eval("level in ['simple', 'major']", &f));
        assert!(!eval("level in ['simple']", &f));
        assert!(eval("affected_pct >= 80", &f));
        assert!(!eval("affected_pct > 80", &f));
        // numeric, not lexicographic: 9 < 10
        assert!(eval("count < 10", &f));
        assert!(eval("count == 9.0", &f));
        assert!(eval("urgent == true", &f));
        assert!(!eval("urgent == false", &f));
        assert!(eval(
            "planned >= '2026-10-08' and planned < '2026-10-09'",
            &f
        ));
        // text is not ordered; types do not mix
        assert!(!eval("level > 'a'", &f));
        assert!(!eval("level == 1", &f));
        assert!(!eval("count == '9'", &f));
        // unknown or blank field: every comparison is false, `is set` false
        assert!(!eval("missing == 'x'", &f));
        assert!(!eval("missing != 'x'", &f));
        assert!(!eval("blank == '  '", &f));
        assert!(!eval("blank is set", &f));
        assert!(eval("blank is not set", &f));
        assert!(eval("level is set", &f));
        assert!(eval("not missing is set", &f));
        assert!(eval("true", &f));
        assert!(!eval("false or not true", &f));
        assert!(eval("affected_pct > -0.5", &f));
    }

    #[test]
    fn referenced_fields_in_order() {
        let e = parse("type == 'data' and (level in ['major'] or not x is set)").unwrap();
        let names: Vec<_> = e.referenced_fields().into_iter().collect();
        assert_eq!(names, ["level", "type", "x"]);
        let refs: Vec<_> = e
            .field_refs()
            .iter()
            .map(|f| (f.name.as_str(), f.at))
            .collect();
        assert_eq!(refs, [("type", 0), ("level", 20), ("x", 46)]);
    }

    proptest::proptest! {
        /// Any input parses or fails with an offset inside the text; never panics.
        #[test]
        fn parse_never_panics(text in "[a-z_ ()\\[\\],'\"=!<>0-9.-]{0,40}|\\PC{0,20}") {
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.offset <= text.chars().count());
            }
        }

        /// `not` negates, `and` / `or` are the boolean operators, for any value.
        #[test]
        fn connectives_are_boolean(pct in -10.0f64..110.0, set in proptest::bool::ANY) {
            let mut f = Fields::new();
            if set {
                f.insert("pct".into(), FieldValue::Number(pct));
            }
            let a = eval("pct >= 50", &f);
            let b = eval("pct < 20", &f);
            proptest::prop_assert_eq!(eval("not pct >= 50", &f), !a);
            proptest::prop_assert_eq!(eval("pct >= 50 or pct < 20", &f), a || b);
            proptest::prop_assert_eq!(eval("pct >= 50 and pct < 20", &f), false);
            proptest::prop_assert_eq!(eval("pct is set", &f), set);
        }
    }

    #[test]
    fn errors_carry_the_column() {
        let cases = [
            ("level = 'major'", 6, "=="),
            ("level == 'major", 9, "引号"),
            ("level == major", 9, "字面量"),
            ("level == 'a' and", 16, "字段名"),
            ("(level == 'a'", 13, ")"),
            ("level 'a'", 6, "比较运算符"),
            ("level in 'a'", 9, "["),
            ("level is empty", 9, "set"),
            ("level == 'a' level", 13, "and"),
            ("", 0, "为空"),
            ("级别 == 'a'", 0, "无法识别"),
            ("level == 1.2.3", 9, "数字"),
            ("!level", 0, "not"),
        ];
        for (text, offset, needle) in cases {
            let e = parse(text).expect_err(text);
            assert_eq!(e.offset, offset, "{text}: {e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }
}
