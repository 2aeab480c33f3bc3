#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into fuzz/corpus/<target>/ (run from anywhere).

Each seed uses its target's input layout (see the header comment of fuzz/fuzz_<target>.cpp).
Email seeds are the cells of tests/email_cases_test.cpp; journal seeds are byte-for-byte what
journal_writer writes ("<crc32 hex8> <payload>\\n" records) plus programs that make the writer
itself produce journals on every run. Deterministic: running it again gives the same files.
"""
import gzip
import json
import pathlib
import re
import shutil
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


# ---- csv: 7 option bytes (transform, encoding, delimiter, chunk, max_record, max_raw, columns)
def csv_seed(name, text, transform=0, encoding=0, delimiter=0, chunk=0, max_record=0, max_raw=0,
             columns=0):
    if isinstance(text, str):
        text = text.encode("utf-8")
    opts = bytes([transform, encoding, delimiter, chunk, max_record, max_raw, columns])
    write("csv", name, opts + text)


LEADS = ('email,first_name,last_name,company_name,notes\r\n'
         'ana.silva@acme.io,Ana,Silva,"Acme, Lda","said ""hi""\r\nthen left"\r\n'
         'bo@rival.net,Bo,,Rival Inc,\r\n'
         '\r\n'
         '"cy@example.com",Cy,"O\'Brien",,"x"tail\r\n'
         'dee@acme.io,Dee,Lee,Acme,too,many,fields\r\n'
         'eve@acme.io,Eve\r\n'
         'fay@acme.io,Fay,Fox,"Fox ""&"" Sons",,,,\r\n')


def csv_seeds():
    csv_seed("leads_crlf.csv", LEADS)
    csv_seed("leads_crlf_chunk1.csv", LEADS, chunk=1)
    csv_seed("leads_default_limits.csv", LEADS, max_record=255)
    csv_seed("semicolon_bom.csv", "\ufeffe-mail;Vorname;Firma\n"
             "jörg@müller.de;Jörg;\"Müller; GmbH\"\n;;\nanna@firma.de;Anna;Firma\n")
    csv_seed("tabs_trailing_columns.csv", "email\tname\t\t\n\n\na@b.io\tA\t\t\nb@c.io\tB\n"
             "c@d.io\tC\tx\ty\tz\n")
    csv_seed("pipe_multiline_header.csv", '"e\nmail"|"na""me"\na@b.io|"multi\nline\nvalue"\n'
             'lone\rcr@b.io|x\n')
    csv_seed("unterminated_quote.csv", 'email,name\na@b.io,"never closed\nb@c.io,B\n')
    csv_seed("quote_in_unquoted.csv", 'email,name\na"b@c.io,x"y"z\n"a"b"c,"d""\n',
             delimiter=1)
    csv_seed("no_final_newline_cr.csv", "email,name\r\na@b.io,A\r")
    csv_seed("blank_before_header.csv", "\n\r\n\nemail\n\na@b.io\n\n")
    csv_seed("long_records_small_limit.csv",
             "email,notes\na@b.io,short\nb@c.io," + "x" * 300 + "\n" + 'c@d.io,"' + "y\n" * 40 +
             '"\nd@e.io,ok\n', max_record=24, max_raw=10, chunk=3)
    csv_seed("long_unterminated_small_limit.csv", 'email,notes\na@b.io,"' + "z" * 200,
             max_record=16, max_raw=5)
    csv_seed("utf8_cut_in_raw.csv", "email,name\nänne@b.io,Ännchen von Thärau\n", max_raw=2)
    csv_seed("utf16le_harness.csv", "email,name\nzoë@b.io,Zoë 🎉\n", transform=2)
    csv_seed("utf16be_harness.csv", "email;name\nzoë@b.io;Zoë\n", transform=3, chunk=5)
    csv_seed("utf16le_bom_raw.csv", "\ufeffemail,name\nli@b.cn,李\n".encode("utf-16-le"))
    csv_seed("utf16be_bom_raw.csv", "\ufeffemail,name\nli@b.cn,李\n".encode("utf-16-be"),
             chunk=1)
    csv_seed("utf32le_bom_raw.csv", "\ufeffemail\nx@y.io\n".encode("utf-32-le"))
    csv_seed("utf16le_no_bom_option.csv", "email,name\nmo@b.io,Mö\n".encode("utf-16-le"),
             encoding=3)
    csv_seed("windows1252.csv", "email;name\nrene@b.fr;Ren\u00e9 \u20ac\n".encode("cp1252"),
             encoding=2)
    csv_seed("shift_jis.csv", "email,名前\nyu@b.jp,山田\n".encode("shift_jis"), encoding=5)
    csv_seed("gb18030.csv", "email,name\nwang@b.cn,王\n".encode("gb18030"), encoding=8)
    csv_seed("bad_utf16_odd_length.csv", b"\xff\xfee\x00m\x00a\x00", chunk=2)
    csv_seed("unknown_encoding.csv", "email\na@b.io\n", encoding=10)
    csv_seed("gzip_raw.csv", gz(LEADS.encode()))
    csv_seed("gzip_two_members_raw.csv", gz(b"email,name\na@b.io,A\n") + gz(b"b@c.io,B\n"),
             chunk=4)
    csv_seed("gzip_truncated_raw.csv", gz(LEADS.encode())[:-7])
    csv_seed("gzip_trailing_garbage_raw.csv", gz(b"email\na@b.io\n") + b"junk")
    csv_seed("gzip_harness.csv", LEADS, transform=1, chunk=9)
    csv_seed("gzip_harness_two_members.csv", LEADS, transform=5)
    csv_seed("gzip_utf16_raw.csv", gz("\ufeffemail\tname\nx@y.io\tX\n".encode("utf-16-le")))
    csv_seed("few_columns_limit.csv", "a,b,c,d,e\n1,2,3,4,5\n", columns=3)
    csv_seed("only_delimiters_header.csv", ",,,\na,b\n")
    csv_seed("given_delimiter_colon.csv", "email:name\na@b.io:A\n", delimiter=ord(":"))
    # Bit 8: only a header with a field "e" is usable, so lines before one are a preamble.
    csv_seed("preamble.csv", 'Notes:\r\n"a note, with\r\na newline"\r\n\r\nx,e,y\r\n1,2,3\r\n',
             transform=8, chunk=3)
    csv_seed("preamble_none_usable.csv", "title\nx;y\n\n1;2\n3,e\n", transform=8)
    csv_seed("preamble_too_many_fields.csv", "a,b,c\ne,x\n1,2,3\n", transform=8, max_record=8)


# ---- email: 1 option byte (bit 0: fold provider aliases), then the cell
def c_literals(source):
    """The first string argument of each good(...)/bad(...) row, C escapes decoded."""
    cells = []
    for m in re.finditer(r'\b(?:good|bad)\(((?:\s*"(?:[^"\\]|\\.)*")+)', source):
        out = bytearray()
        for lit in re.finditer(r'"((?:[^"\\]|\\.)*)"', m.group(1)):
            out += decode_c(lit.group(1))
        cells.append(bytes(out))
    return cells


def decode_c(body):
    out = bytearray()
    raw = body.encode("utf-8")
    i = 0
    simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11, ord("f"): 12,
              ord("0"): 0, ord("\\"): 92, ord('"'): 34, ord("'"): 39, ord("?"): 63}
    while i < len(raw):
        c = raw[i]
        if c != 92:
            out.append(c)
            i += 1
            continue
        e = raw[i + 1]
        if e == ord("x"):
            j = i + 2
            while j < len(raw) and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(raw[i + 2:j], 16) & 0xFF)
            i = j
        else:
            out.append(simple[e])
            i += 2
    return out


def email_seeds():
    source = (ROOT / "tests" / "email_cases_test.cpp").read_text(encoding="utf-8")
    cells = c_literals(source)
    extra = [b"J.O.H.N+news@Gmail.com", "info@xn--bcher-kva.ch".encode(), b"a`b@gmail.com",
             "用户@例子.广告".encode(), b"=HYPERLINK(\"mailto:a@b.io\")", b"a@b.io, c@d.io"]
    for i, cell in enumerate(cells + extra):
        write("email", f"case_{i:03d}", bytes([i % 2]) + cell)


# ---- response: 1 option byte (bit 0: resent), body \0 addresses \0 header values
def response_seed(name, body, emails=(), headers=None, resent=False):
    data = bytes([1 if resent else 0]) + body.encode() + b"\0" + "\n".join(emails).encode()
    if headers is not None:
        data += b"\0" + "\n".join(headers).encode()
    write("response", name, data)


BATCH = ["ana@example.org", "bob(at)example.com", "Ana@Example.org", "cy@example.com",
         "dee@rival.example", "eve@example.net"]


def response_seeds():
    live = {"ok": True, "upload_count": 6, "total_leads": 2, "block_count": 1,
            "duplicate_count": 1, "invalid_email_count": 1, "invalid_emails": ["bob(at)example.com"],
            "already_added_to_campaign": 1, "unsubscribed_leads": [],
            "is_lead_limit_exhausted": False, "lead_import_stopped_count": 0, "bounce_count": 0}
    guide = {"ok": True, "added_count": 2, "skipped_count": 4, "skipped_leads": [
        {"email": "bob(at)example.com", "reason": "invalid_email"},
        {"email": "Ana@Example.org", "reason": "duplicate_in_request"},
        {"email": "cy@example.com", "reason": "already_in_campaign"},
        {"email": "dee@rival.example", "reason": "blocked"}]}
    both = dict(live, **{k: v for k, v in guide.items() if k != "ok"})
    ids = dict(live, emailToLeadIdMap={
        "newlyAddedLeads": {"ana@example.org": "3000000123", "eve@example.net": "3000000124"},
        "existingLeads": {"CY@example.com": "3000000007"},
        "existingLeadsInOtherCampaigns": {}})
    j = lambda o: json.dumps(o, separators=(",", ":"))
    hdr = ["60", "54", "1700000060", ""]
    response_seed("live_6_1.json", j(live), BATCH, hdr)
    response_seed("guide_11_1.json", j(guide), BATCH, hdr)
    response_seed("both_shapes.json", j(both), BATCH, hdr)
    response_seed("lead_id_map.json", j(ids), BATCH, hdr, resent=True)
    response_seed("credit_refusal.json", j({
        "ok": False, "is_lead_limit_exhausted": True, "lead_import_stopped_count": 6,
        "error": "Lead credit limit reached; no further leads can be imported."}), BATCH)
    response_seed("credit_partial.json", j(dict(live, is_lead_limit_exhausted=True,
                                                total_leads=1, lead_import_stopped_count=1)), BATCH)
    response_seed("strings_and_unknown_counts.json",
                  '{"ok":"true","upload_count":"6","block_count":" 2 ","bounce_count":1.0,'
                  '"spam_trap_count":2,"unsubscribed_leads":[{"email":"eve@example.net"}],'
                  '"skipped_in_other_campaign_count":null}', BATCH, ["60.0", "+3", "1.5", "2.5"])
    response_seed("counters_only_several.json",
                  '{"ok":true,"upload_count":6,"already_added_to_campaign":2,"block_count":1,'
                  '"bounce_count":1}', BATCH, resent=True)
    response_seed("unknown_reason.json",
                  '{"ok":true,"skipped_leads":[{"email":" ana@example.org ","reason":"spam_trap"},'
                  '{"email":"nobody@else.io","reason":"blocked"},{"reason":"bounced"}]}', BATCH)
    response_seed("error_400_validation.json", j({
        "statusCode": 400, "error": "Bad Request", "message": "lead_list.3.email is invalid",
        "validation": {"source": "body", "keys": ["lead_list.3.email", "lead_list[1]",
                                                   "lead_list.3"]}}), BATCH)
    response_seed("error_400_size.json", j({
        "statusCode": 400, "error": "Bad Request",
        "message": ["lead_list must contain no more than 400 elements", "lead_list.12 bad"]}))
    response_seed("error_401.json",
                  '{"statusCode":401,"error":"Unauthorized","message":"Invalid API Key"}')
    response_seed("error_404.json",
                  '{"statusCode":404,"error":"Not Found","message":"Campaign not found"}')
    response_seed("error_429.json", j({"error": {"code": "RATE_LIMIT_EXCEEDED",
                                                 "message": "Rate limit hit; wait 17 s and resend.",
                                                 "retry_after": 17}}),
                  headers=["60", "0", "1700000017", "17"])
    response_seed("error_500.json", '{"statusCode":500,"error":"Internal Server Error",'
                  '"message":""}', headers=["60", "10", "30", "Sun, 06 Nov 1994 08:49:37 GMT"])
    response_seed("error_err_only.json", '{"err":"upstream timeout"}')
    response_seed("error_html.txt", "  <html><body>502 Bad Gateway \u00e9t\u00e9</body></html>\n"
                  + "x" * 600)
    response_seed("empty.txt", "", headers=["", "", "", ""])


# ---- journal: 1 mode byte, then raw bytes (0), lines to frame (1) or a writer program (2)
def identity(**kw):
    fields = {"version": 1, "base_url": "https://127.0.0.1:8443/api/v1",
              "campaign_id": 3000000001, "input_path": 'leads "q".csv', "input_size": 12345,
              "input_xxh3": "00112233445566778899aabbccddeeff", "outcomes_path": "out.csv",
              "rejects_path": "", "settings": "cross_campaign=skip"}
    fields.update(kw)
    return "I " + json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def framed(payloads):
    out = b""
    for p in payloads:
        b = p.encode()
        out += b"%08x " % zlib.crc32(b) + b + b"\n"
    return out


def batch(bid, lines, cp):
    lines = sorted(lines)
    deltas = [lines[0]] + [b - a for a, b in zip(lines, lines[1:])] if lines else []
    return " ".join(["K", str(bid), *map(str, cp), str(len(lines)), *map(str, deltas)])


def number(v):
    b = v.to_bytes(8, "little").rstrip(b"\0")
    return bytes([len(b)]) + b


def program(strings, campaign, size, ops):
    out = bytes([2]) + b"".join((s if isinstance(s, bytes) else s.encode()) + b"\0"
                                for s in strings)
    out += number(campaign) + number(size)
    for op in ops:
        if op[0] == "K":
            _, bid, lines, cp = op
            out += bytes([0]) + number(bid) + bytes([len(lines)]) + b"".join(map(number, lines))
            out += b"".join(number(v) for v in cp)
        elif op[0] == "D":
            out += bytes([1]) + number(op[1]) + number(op[2])
        elif op[0] == "F":
            out += bytes([2]) + b"".join(number(v) for v in op[1])
        else:
            out += bytes([3])
    return out


def journal_seeds():
    recs = [identity(), batch(1, [9, 2, 4], (10, 300, 40)), "D 3 12",
            batch(3, [12, 11], (20, 500, 40)), "D 4 17"]
    write("journal", "resume_in_progress", bytes([0]) + framed(recs))
    write("journal", "finished", bytes([0]) + framed(recs + ["F 30 600 50"]))
    write("journal", "torn_tail", bytes([0]) + framed(recs[:2]) + b"deadbeef K 2 5 20 0 1 3")
    write("journal", "corrupt_middle", bytes([0]) + framed(recs).replace(b" K 1 ", b" K 7 ", 1))
    write("journal", "version_2", bytes([0]) + framed([identity(version=2)]))
    write("journal", "identity_only_utf8", bytes([0]) + framed([identity(input_path="lé.csv")]))
    write("journal", "framed_lines", bytes([1]) + "\n".join(recs + ["F 1 2 3", "K 9"]).encode())
    write("journal", "framed_torn", bytes([1]) + "\n".join(recs).encode())
    write("journal", "framed_unknown_record", bytes([1]) + "\n".join(
        [identity(), "X 1", ""]).encode())
    strings = ["https://127.0.0.1:8443/api/v1", "leads.csv", "00112233445566778899aabbccddeeff",
               "out.csv", "cross_campaign=skip"]
    write("journal", "writer_program", program(strings, 3000000001, 12345, [
        ("K", 1, [9, 2, 4], (10, 300, 40)), ("D", 3, 12), ("K", 3, [12, 11], (20, 500, 40)),
        ("R",), ("D", 4, 17), ("F", (30, 600, 50))]))
    write("journal", "writer_program_odd_strings", program(
        ["h\u00e9\n\"x\"", b"bad\xff", "", "\x01", "s"],
        1, 0, [("K", 7, [1, 1, 70000], (5, 6, 7)), ("K", 2, [], (0, 0, 0))]))


# ---- cache: 1 mode byte, then a file (0), a file whose checksum the harness fixes (1) or a
# cache described field by field for serialise_cache (2)
def cache_file(url, account, campaign, client, user, sets):
    import struct
    out = b"LPCACHE\n" + struct.pack("<IIqBqqI", 1, 5, campaign, client is not None, client or 0,
                                       user, len(url)) + url + account
    for kind, (fetched, entries, keys) in enumerate(sets):
        out += struct.pack("<BqQQ", kind, fetched, entries, len(keys))
        out += b"".join(struct.pack("<QQ", lo, hi) for lo, hi in keys)
    return out + b"\0" * 8  # checksum: fixed by the harness in mode 1


def cache_seeds():
    account = b"0123456789abcdef0123456789abcdef"
    url = b"https://server.smartlead.ai/api/v1"
    sets = [(1700000000000, 3, [(1, 2), (3, 4), (5, 6)]), (0, 0, []),
            (1700000000001, 1, [(7, 8)]), (1700000000002, 2, [(9, 10), (0, 0)]), (0, 0, [])]
    write("cache", "fixed_checksum", bytes([1]) + cache_file(url, account, 42, 7, 9, sets))
    write("cache", "fixed_checksum_no_client",
          bytes([1]) + cache_file(url, account, 42, None, 9, [(0, 0, [])] * 5))
    write("cache", "raw_bad_checksum", bytes([0]) + cache_file(url, account, 1, None, 1, sets))
    write("cache", "raw_wrong_magic", bytes([0]) + b"LPCACHX\n" + b"\1\0\0\0" + b"\0" * 40)
    write("cache", "fixed_duplicate_key",
          bytes([1]) + cache_file(url, account, 1, None, 1, [(1, 2, [(1, 2), (1, 2)])] +
                                  [(0, 0, [])] * 4))
    program = bytes([2, len(url)]) + url + bytes(range(8)) + bytes([42, 0, 0, 0, 0, 0, 0, 0])
    program += bytes([1, 7, 0, 0, 0, 9, 0, 0, 0])
    for kind in range(5):
        program += bytes([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x01, 3, 0, kind * 3])
        program += b"".join(bytes([k, kind]) for k in range(kind * 3))
    write("cache", "serialise_program", program + bytes([17, 0, 0x40, 200, 0]))


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    csv_seeds()
    email_seeds()
    response_seeds()
    journal_seeds()
    cache_seeds()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        files = list((CORPUS / target).iterdir())
        print(f"{target}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    main()
