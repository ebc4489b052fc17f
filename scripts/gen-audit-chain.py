#!/usr/bin/env python3
"""Appends N synthetic records to the audit chain of a yunwei SQLite database.

An independent implementation of the chain format (ADR 0002) used to
measure `yunwei audit verify` on large chains and to cross-check the format:
mac = HMAC-SM3(key, previous_mac || canonical(record)), canonical = the
compact JSON array of the record's fields in order.

usage: gen-audit-chain.py DB AUDIT_KEY_HEX N
"""
import hashlib
import hmac
import json
import sqlite3
import sys
import uuid


def canonical(r):
    return json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode()


def main():
    db, key_hex, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    key = bytes.fromhex(key_hex)
    con = sqlite3.connect(db)
    row = con.execute("SELECT seq, mac FROM audit_head WHERE id = 1").fetchone()
    seq, prev = (row[0], bytes.fromhex(row[1])) if row else (0, bytes(32))
    root = con.execute("SELECT path FROM orgs WHERE parent_id IS NULL").fetchone()[0]
    at = 1_780_000_000_000_000
    batch = []
    for i in range(n):
        seq += 1
        rec = [seq, str(uuid.uuid4()), at + i, None, "generator", "system", root, "127.0.0.1",
               "bench.append", "bench", str(i), "", f"第{i}条合成记录", "", "success", "gen"]
        mac = hmac.new(key, prev + canonical(rec), "sm3").digest()
        prev = mac
        batch.append(rec + [mac.hex()])
        if len(batch) == 50_000 or i == n - 1:
            con.executemany(
                "INSERT INTO audit_log (seq, id, at_us, actor_id, actor_name, actor_role, org_path, source_ip,"
                " action, object_type, object_id, before_summary, after_summary, reason, result, request_id, mac)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
            batch = []
    seal = hmac.new(key, b"yunwei-audit-head" + seq.to_bytes(8, "big", signed=True) + prev, "sm3").hexdigest()
    con.execute("UPDATE audit_head SET seq = ?, mac = ?, seal = ? WHERE id = 1", (seq, prev.hex(), seal))
    con.commit()
    print(f"appended {n} records, head at {seq}")


if __name__ == "__main__":
    main()
