//! Chinese full-text search: the tokens a document is indexed under and the
//! terms a query must match (DESIGN.md section 9, docs/adr/0004).
//!
//! Both sides go through the same normalisation (full-width ASCII folded to
//! ASCII, lower case) and emit only runs of letters and digits, so the
//! database's own tokeniser (SQLite FTS5 `unicode61`, PostgreSQL's `simple`
//! configuration) sees every token as exactly one word.
//!
//! Index tokens of a text are the union, deduplicated, of
//! - jieba's search-mode words of three or more Han characters (shorter
//!   words are already covered by the bigrams below), segmented with a
//!   dictionary of O&M terms;
//! - every bigram of each run of Han characters, so any two-character query
//!   matches wherever those two characters stand next to each other;
//! - the last Han character of each run (and one-character runs), so a
//!   one-character prefix query finds every document containing that
//!   character;
//! - every other word (ASCII letters, digits, other scripts).
//!
//! A query run of Han characters is first segmented into words by jieba
//! (precise mode, the same dictionary); each word of two or more characters
//! becomes its bigrams and each one-character word a prefix term, and all
//! of them must match. So 国库支付 (国库 | 支付) finds 国库集中支付系统: the
//! words a user types need not stand next to each other in the document,
//! only the characters of one word must. Anything that contains the query
//! literally still matches (every term is a bigram or a character of it).
//! Within a word this approximates a phrase match: a document holding 交换
//! and 换机 in different places also matches 交换机. On the short runs
//! people type this rarely matters, and it keeps the index free of
//! positions and the query a plain AND of terms.
//!
//! The bigrams that span two words of the query (库支 in 国库支付) are not
//! required but offered for ranking ([`SearchQuery::boost`]): a document
//! holding the query as one run ranks above one holding its words apart.

use std::collections::HashSet;
use std::sync::OnceLock;

use jieba_rs::Jieba;

/// Marks a prefix term in [`query_terms`]' output: `堡*`.
pub const PREFIX_MARK: char = '*';

/// Longest token (in bytes) that is indexed or searched; longer runs are
/// noise (hashes, encoded blobs) and PostgreSQL refuses lexemes over 2 KB.
pub const MAX_TOKEN_BYTES: usize = 120;

/// Characters of a document body that are indexed. Bounds the size of one
/// document's index entry (PostgreSQL limits a tsvector to 1 MB).
pub const MAX_INDEXED_CHARS: usize = 50_000;

/// O&M vocabulary added to jieba's dictionary, so these are segmented as
/// whole words (and their sub-words offered by search mode).
const DOMAIN_WORDS: &[&str] = &[
    // Security and compliance.
    "堡垒机",
    "等保",
    "等级保护",
    "等保测评",
    "密评",
    "密码应用安全性评估",
    "商用密码",
    "国密",
    "漏洞扫描",
    "漏洞",
    "弱口令",
    "渗透测试",
    "入侵检测",
    "态势感知",
    "日志审计",
    "网络安全",
    "安全加固",
    "三员",
    "系统管理员",
    "安全管理员",
    "审计管理员",
    // Network and infrastructure.
    "交换机",
    "核心交换机",
    "汇聚交换机",
    "接入交换机",
    "路由器",
    "防火墙",
    "网闸",
    "负载均衡",
    "负载均衡器",
    "专线",
    "光纤",
    "服务器",
    "存储",
    "虚拟化",
    "云平台",
    "政务云",
    "政务外网",
    "机房",
    "机柜",
    "不间断电源",
    "中间件",
    "数据库",
    "操作系统",
    "信创",
    "国产化",
    "灾备",
    "容灾",
    "数据备份",
    "异地备份",
    // Service management.
    "工单",
    "变更",
    "重大变更",
    "紧急变更",
    "事件",
    "重大事件",
    "服务请求",
    "问题管理",
    "配置管理",
    "故障",
    "故障处理",
    "巡检",
    "例行巡检",
    "应急预案",
    "应急演练",
    "补丁",
    "升级",
    "知识库",
    "服务台",
    "服务级别协议",
    "响应时限",
    "运维",
    "运维服务商",
    "承建厂商",
    "驻场",
    // Finance organisations and systems.
    "财政",
    "财政局",
    "财政厅",
    "信息中心",
    "预算单位",
    "预算管理一体化",
    "国库集中支付",
    "非税收入",
    "政府采购",
    "会计核算",
    "资产管理",
    "电子票据",
    "电子签章",
];

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut j = Jieba::new();
        for w in DOMAIN_WORDS {
            // No frequency: jieba picks one high enough to keep the word whole.
            j.add_word(w, None, None);
        }
        j
    })
}

/// Han ideographs (the unified blocks, extensions and compatibility block).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{30000}'..='\u{3134F}')
}

/// Full-width ASCII and the ideographic space folded to ASCII, lower case.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Han,
    Word,
    Other,
}

fn class(c: char) -> Class {
    if is_han(c) {
        Class::Han
    } else if c.is_alphanumeric() {
        Class::Word
    } else {
        Class::Other
    }
}

/// Maximal runs of Han characters and of other letters/digits.
fn runs(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut out: Vec<(Class, Vec<char>)> = Vec::new();
    for c in text.chars() {
        let k = class(c);
        match out.last_mut() {
            Some((last, run)) if *last == k => run.push(c),
            _ => out.push((k, vec![c])),
        }
    }
    out.retain(|(k, _)| *k != Class::Other);
    out
}

/// An ordered set of tokens.
#[derive(Default)]
struct Tokens {
    seen: HashSet<String>,
    list: Vec<String>,
}

impl Tokens {
    fn add(&mut self, t: String) {
        if !t.is_empty() && t.len() <= MAX_TOKEN_BYTES && self.seen.insert(t.clone()) {
            self.list.push(t);
        }
    }
}

/// The tokens `text` is indexed under, space-separated (see the module
/// documentation). Only the first [`MAX_INDEXED_CHARS`] characters count.
pub fn index_tokens(text: &str) -> String {
    let text = match text.char_indices().nth(MAX_INDEXED_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let text = normalise(text);
    let mut out = Tokens::default();
    for (k, run) in runs(&text) {
        match k {
            Class::Han => {
                let s: String = run.iter().collect();
                for t in jieba().cut_for_search(&s, true) {
                    // Words of one or two characters are the unigram or a
                    // bigram added below.
                    if t.word.chars().count() >= 3 && t.word.chars().all(is_han) {
                        out.add(t.word.to_string());
                    }
                }
                for w in run.windows(2) {
                    out.add(w.iter().collect());
                }
                if let Some(last) = run.last() {
                    out.add(last.to_string());
                }
            }
            _ => out.add(run.iter().collect()),
        }
    }
    out.list.join(" ")
}

/// What a query asks of the index: the terms every matching document
/// contains, and terms that only raise the rank of the documents that
/// also contain them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// A term ending in [`PREFIX_MARK`] matches any token starting with
    /// the rest.
    pub required: Vec<String>,
    /// Bigrams spanning two words of a Han run (not among `required`).
    pub boost: Vec<String>,
}

/// The terms a document must all contain to match `q` (see the module
/// documentation). A term ending in [`PREFIX_MARK`] matches any token
/// starting with the rest. Empty when `q` holds no letters or digits.
pub fn query_terms(q: &str) -> Vec<String> {
    search_query(q).required
}

/// The required and the ranking terms of `q` (see the module
/// documentation); `required` is empty when `q` holds no letters or digits.
pub fn search_query(q: &str) -> SearchQuery {
    let q = normalise(q);
    let mut out = Tokens::default();
    let mut boost = Tokens::default();
    for (k, run) in runs(&q) {
        match k {
            Class::Han if run.len() == 1 => out.add(format!("{}{PREFIX_MARK}", run[0])),
            Class::Han => {
                let s: String = run.iter().collect();
                let words: Vec<Vec<char>> = jieba()
                    .cut(&s, false)
                    .into_iter()
                    .map(|w| w.word.chars().collect())
                    .collect();
                for w in &words {
                    if w.len() == 1 {
                        out.add(format!("{}{PREFIX_MARK}", w[0]));
                    }
                    for b in w.windows(2) {
                        out.add(b.iter().collect());
                    }
                }
                for pair in words.windows(2) {
                    if let (Some(a), Some(b)) = (pair[0].last(), pair[1].first()) {
                        boost.add([*a, *b].iter().collect());
                    }
                }
            }
            _ => out.add(run.iter().collect()),
        }
    }
    let required = out.list;
    let boost = boost
        .list
        .into_iter()
        .filter(|b| !required.contains(b))
        .collect();
    SearchQuery { required, boost }
}

/// Splits a query term into its text and whether it is a prefix term.
/// `None` when it is not a well-formed term (empty, or holding anything
/// but letters and digits), so the store can refuse it.
pub fn parse_term(term: &str) -> Option<(&str, bool)> {
    let (text, prefix) = match term.strip_suffix(PREFIX_MARK) {
        Some(t) => (t, true),
        None => (term, false),
    };
    (!text.is_empty() && text.len() <= MAX_TOKEN_BYTES && text.chars().all(char::is_alphanumeric))
        .then_some((text, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the database does: every term must match a token, exactly or,
    /// for prefix terms, as a prefix.
    fn matches(q: &str, text: &str) -> bool {
        let index = index_tokens(text);
        let tokens: Vec<&str> = index.split(' ').collect();
        let terms = query_terms(q);
        assert!(!terms.is_empty(), "query {q} has no terms");
        terms.iter().all(|t| {
            let (t, prefix) = parse_term(t).expect("well-formed term");
            tokens
                .iter()
                .any(|k| if prefix { k.starts_with(t) } else { *k == t })
        })
    }

    const DOCS: &[&str] = &[
        "南京市财政局核心交换机端口故障，业务中断约十分钟",
        "堡垒机账号到期，请运维服务商续期",
        "2026年度等保测评整改：弱口令与漏洞扫描结果",
        "信息中心机房空调巡检记录",
        "预算单位申请开通国库集中支付专线",
        "Oracle 数据库 RAC 节点重启（变更单 CHG-2026-0012）",
    ];

    #[test]
    fn domain_words_are_kept_whole() {
        let t = index_tokens("堡垒机和核心交换机都要做等保");
        let tokens: Vec<&str> = t.split(' ').collect();
        for w in ["堡垒机", "交换机", "核心交换机", "等保", "堡垒"] {
            assert!(tokens.contains(&w), "{w} missing from {t}");
        }
    }

    #[test]
    fn queries_find_the_documents_that_contain_them() {
        let cases: &[(&str, &[usize])] = &[
            ("故障", &[0]),
            ("交换机", &[0]),
            ("堡垒机", &[1]),
            ("等保", &[2]),
            ("堡垒", &[1]),
            ("机房", &[3]),
            // Not a word in any segmentation, still two adjacent characters.
            ("心机", &[3]),
            ("巡检", &[3]),
            ("财政", &[0]),
            // Two words apart in the document (国库 | 集中 | 支付).
            ("国库支付", &[4]),
            ("集中支付", &[4]),
            ("国库专线", &[4]),
            ("支付国库", &[4]),
            ("国库故障", &[]),
            ("oracle", &[5]),
            ("ORACLE rac", &[5]),
            ("chg", &[5]),
            ("2026", &[2, 5]),
            ("漏洞扫描 弱口令", &[2]),
        ];
        for (q, want) in cases {
            let got: Vec<usize> = (0..DOCS.len()).filter(|i| matches(q, DOCS[*i])).collect();
            assert_eq!(&got, want, "query {q}");
        }
    }

    #[test]
    fn query_terms_are_bigrams_of_han_runs() {
        assert_eq!(query_terms("交换机"), vec!["交换", "换机"]);
        assert_eq!(query_terms("堡垒"), vec!["堡垒"]);
        assert_eq!(query_terms("机"), vec!["机*"]);
        assert_eq!(
            query_terms("ＳＳＬ证书，过期！ssl"),
            vec!["ssl", "证书", "过期"]
        );
        assert!(query_terms("  ，。！？ ").is_empty());
    }

    #[test]
    fn query_words_are_segmented_and_their_junctions_boost() {
        let q = search_query("国库支付");
        assert_eq!(q.required, vec!["国库", "支付"]);
        assert_eq!(q.boost, vec!["库支"]);
        // One word: its bigrams, nothing to boost.
        let q = search_query("交换机");
        assert_eq!(q.required, vec!["交换", "换机"]);
        assert!(q.boost.is_empty());
        // A one-character word is a prefix term.
        let q = search_query("的故障");
        assert!(q.required.contains(&"故障".to_string()), "{q:?}");
        // Whatever contains the query literally matches it.
        for (q, text) in [
            ("国库支付", "国库支付"),
            ("国库集中支付系统升级", "财政国库集中支付系统升级方案"),
            ("南京市财政局核心交换机", "南京市财政局核心交换机端口故障"),
            ("信息中心机房空调", "信息中心机房空调巡检记录"),
        ] {
            assert!(matches(q, text), "{q} in {text}");
        }
    }

    #[test]
    fn one_character_queries_match_anywhere_in_a_run() {
        // First, middle and last character of a run.
        for q in ["服", "务", "器"] {
            assert!(matches(q, "更换服务器"), "{q}");
        }
        assert!(matches("卡", "网卡"));
        assert!(!matches("卡", "交换机"));
    }

    #[test]
    fn tokens_are_plain_words() {
        let t = index_tokens("IP：10.1.2.3，ＶＬＡＮ－２０；“堡垒机”\n\t中-英 mixed文本");
        for tok in t.split(' ') {
            assert!(parse_term(tok).is_some(), "token {tok:?} in {t}");
        }
        let tokens: Vec<&str> = t.split(' ').collect();
        for w in ["ip", "10", "3", "vlan", "20", "mixed", "文本", "中", "英"] {
            assert!(tokens.contains(&w), "{w} missing from {t}");
        }
    }

    #[test]
    fn tokens_are_deduplicated_and_long_runs_dropped() {
        let t = index_tokens("故障故障 故障");
        let mut tokens: Vec<&str> = t.split(' ').collect();
        let n = tokens.len();
        tokens.sort();
        tokens.dedup();
        assert_eq!(tokens.len(), n);
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(!index_tokens(&format!("{long} ok")).contains(&long));
        assert!(index_tokens("").is_empty());
    }

    #[test]
    fn malformed_terms_are_refused() {
        assert_eq!(parse_term("堡*"), Some(("堡", true)));
        assert_eq!(parse_term("ssl"), Some(("ssl", false)));
        for bad in ["", "*", "a b", "a\"b", "x'", "a**", "a:*"] {
            assert_eq!(parse_term(bad), None, "{bad}");
        }
    }
}
