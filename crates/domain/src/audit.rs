//! Tamper-evident audit records (`JSCZ-41`, `EEDS-3.7.1`, `ZMDY-26`).
//!
//! Each record carries `mac = HMAC-SM3(key, previous_mac || canonical(record))`
//! where the canonical form includes the sequence number, so editing,
//! deleting, inserting or reordering records breaks the chain.

use serde::{Deserialize, Serialize};

use crate::crypto::Crypto;

pub const GENESIS_MAC: [u8; 32] = [0u8; 32];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Position in the chain, 1-based and gap-free.
    pub seq: i64,
    pub id: String,
    /// Microseconds since the Unix epoch, UTC.
    pub at_us: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub actor_role: String,
    /// Organisation path of the actor (or of the object for anonymous events);
    /// scopes what a lower-level audit administrator may read.
    pub org_path: String,
    pub source_ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    /// `success`, `failure` or `denied`.
    pub result: String,
    pub request_id: String,
}

impl AuditRecord {
    /// Deterministic byte form that the MAC covers: a JSON array in a fixed
    /// field order (JSON string escaping is unambiguous).
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(&(
            self.seq,
            &self.id,
            self.at_us,
            &self.actor_id,
            &self.actor_name,
            &self.actor_role,
            &self.org_path,
            &self.source_ip,
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.before,
            &self.after,
            &self.reason,
            &self.result,
            &self.request_id,
        ))
        .expect("serialising plain values cannot fail")
    }
}

/// MAC of `record` following a record whose MAC was `prev_mac`.
pub fn chain_mac(c: &dyn Crypto, key: &[u8], prev_mac: &[u8], record: &AuditRecord) -> [u8; 32] {
    let canonical = record.canonical();
    let mut buf = Vec::with_capacity(prev_mac.len() + canonical.len());
    buf.extend_from_slice(prev_mac);
    buf.extend_from_slice(&canonical);
    c.hmac_sm3(key, &buf)
}

/// Seal of the chain head (last sequence number and MAC), so that cutting
/// records off the end is caught as well.
pub fn head_seal(c: &dyn Crypto, key: &[u8], seq: i64, mac: &[u8]) -> [u8; 32] {
    let mut buf = b"yunwei-audit-head".to_vec();
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(mac);
    c.hmac_sm3(key, &buf)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFault {
    /// The record at this position does not follow its predecessor: it was
    /// edited, or one before it was deleted, inserted or moved.
    BadMac { seq: i64, id: String },
    /// Sequence numbers are not consecutive (deleted, inserted or reordered).
    BadSequence {
        expected: i64,
        found: i64,
        id: String,
    },
    /// The head does not match the last record (records cut off the end, or
    /// the head itself was altered).
    BadHead { head_seq: i64, last_seq: i64 },
    /// The trail is empty although the database holds accounts (the audit
    /// tables were wiped).
    EmptyTrail { users: i64 },
    /// Records the walk did not check (a `seq` outside the chain).
    Unchecked { stored: i64, checked: u64 },
    /// The record at an anchored position is not the anchored one (the
    /// chain was rebuilt or replaced since the anchor was taken).
    AnchorMismatch { seq: i64 },
    /// The chain ends before a head that was anchored outside the database
    /// (records cut off and the head rolled back to an older copy).
    BehindAnchor { anchor_seq: i64, last_seq: i64 },
}

impl ChainFault {
    pub fn describe(&self) -> String {
        match self {
            ChainFault::BadMac { seq, id } => {
                format!("第 {seq} 条审计记录（{id}）校验失败：记录被修改，或其前的记录被删除、插入或调换")
            }
            ChainFault::BadSequence { expected, found, id } => format!(
                "审计记录序号不连续：应为 {expected}，实际为 {found}（{id}）：记录被删除、插入或调换"
            ),
            ChainFault::BadHead { head_seq, last_seq } => format!(
                "审计链尾不一致：链头记录到第 {head_seq} 条，实际最后一条为第 {last_seq} 条（记录被截断或链头被篡改）"
            ),
            ChainFault::EmptyTrail { users } => format!(
                "审计记录为空，但数据库中有 {users} 个账号：审计表被清空"
            ),
            ChainFault::Unchecked { stored, checked } => format!(
                "审计表共有 {stored} 条记录，按链只校验到 {checked} 条：有序号不在链中的记录（被插入或篡改）"
            ),
            ChainFault::AnchorMismatch { seq } => format!(
                "第 {seq} 条审计记录与库外锚定的链头不一致：审计链被重建或替换"
            ),
            ChainFault::BehindAnchor { anchor_seq, last_seq } => format!(
                "审计链只到第 {last_seq} 条，而库外锚定的链头已到第 {anchor_seq} 条：记录被截断、链头被回滚"
            ),
        }
    }
}

/// Incremental verifier: feed records in ascending `seq` order.
pub struct ChainVerifier<'a> {
    crypto: &'a dyn Crypto,
    key: &'a [u8],
    prev_mac: Vec<u8>,
    next_seq: i64,
    pub checked: u64,
}

impl<'a> ChainVerifier<'a> {
    pub fn new(crypto: &'a dyn Crypto, key: &'a [u8]) -> Self {
        Self {
            crypto,
            key,
            prev_mac: GENESIS_MAC.to_vec(),
            next_seq: 1,
            checked: 0,
        }
    }

    pub fn push(&mut self, record: &AuditRecord, stored_mac: &[u8]) -> Result<(), ChainFault> {
        if record.seq != self.next_seq {
            return Err(ChainFault::BadSequence {
                expected: self.next_seq,
                found: record.seq,
                id: record.id.clone(),
            });
        }
        let mac = chain_mac(self.crypto, self.key, &self.prev_mac, record);
        if !constant_eq(&mac, stored_mac) {
            return Err(ChainFault::BadMac {
                seq: record.seq,
                id: record.id.clone(),
            });
        }
        self.prev_mac = mac.to_vec();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Checks the stored head against the last record seen.
    pub fn finish(
        &self,
        head_seq: i64,
        head_mac: &[u8],
        stored_seal: &[u8],
    ) -> Result<(), ChainFault> {
        let last_seq = self.next_seq - 1;
        let seal = head_seal(self.crypto, self.key, head_seq, head_mac);
        if head_seq != last_seq
            || !constant_eq(head_mac, &self.prev_mac)
            || !constant_eq(&seal, stored_seal)
        {
            return Err(ChainFault::BadHead { head_seq, last_seq });
        }
        Ok(())
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SoftwareCrypto;

    fn rec(seq: i64) -> AuditRecord {
        AuditRecord {
            seq,
            id: format!("id-{seq}"),
            at_us: 1_700_000_000_000_000 + seq,
            actor_id: Some("u1".into()),
            actor_name: "张三".into(),
            actor_role: "sys_admin".into(),
            org_path: "/p/".into(),
            source_ip: "127.0.0.1".into(),
            action: "user.create".into(),
            object_type: "user".into(),
            object_id: "x".into(),
            before: String::new(),
            after: "{}".into(),
            reason: String::new(),
            result: "success".into(),
            request_id: "r".into(),
        }
    }

    fn build(n: i64, key: &[u8]) -> Vec<(AuditRecord, Vec<u8>)> {
        let c = SoftwareCrypto;
        let mut prev = GENESIS_MAC.to_vec();
        (1..=n)
            .map(|s| {
                let r = rec(s);
                let m = chain_mac(&c, key, &prev, &r).to_vec();
                prev = m.clone();
                (r, m)
            })
            .collect()
    }

    fn verify(chain: &[(AuditRecord, Vec<u8>)], key: &[u8]) -> Result<(), ChainFault> {
        let c = SoftwareCrypto;
        let mut v = ChainVerifier::new(&c, key);
        for (r, m) in chain {
            v.push(r, m)?;
        }
        Ok(())
    }

    #[test]
    fn jscz_41_intact_chain_verifies_and_edits_are_caught() {
        let key = b"k";
        let chain = build(5, key);
        verify(&chain, key).unwrap();
        let mut edited = chain.clone();
        edited[2].0.reason = "changed".into();
        assert!(matches!(
            verify(&edited, key),
            Err(ChainFault::BadMac { seq: 3, .. })
        ));
        let mut deleted = chain.clone();
        deleted.remove(1);
        assert!(verify(&deleted, key).is_err());
        let mut swapped = chain.clone();
        swapped.swap(1, 2);
        assert!(verify(&swapped, key).is_err());
        assert!(verify(&chain, b"other key").is_err());
    }
}
