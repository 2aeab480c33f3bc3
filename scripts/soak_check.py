#!/usr/bin/env python3
"""Checker for scripts/soak.sh (stdlib only).

  soak_check.py get URL CA OUT       GET a simulator control endpoint over TLS into OUT
  soak_check.py post URL CA          POST to a simulator control endpoint (e.g. /_sim/reset)
  soak_check.py check [options]      check one soak phase; writes a result JSON; exit 1 on mismatch
  soak_check.py summary RESULT...    print the summary table of the phases

`check` compares the import's outcome file line by line with a reference (`leadpipe validate`
of the same input with every list), the outcome counts with leadpipe-gen's expected counts, the
leads marked added with the campaign's new members in the simulator's state (each exactly once),
and the report with both (rows_read == sum of outcomes; with --resume, rows_read + resumed_rows
== rows).
"""

import argparse
import collections
import csv
import json
import ssl
import sys
import urllib.request

FORMULA_LEADS = ("=", "@", "+", "-", "\t", "\r")
NOT_IMPORTED = ("not_imported_retries_exhausted", "not_imported_lead_credit", "not_imported_stopped")
FAULT_COUNTERS = ("503", "502", "500", "closed_before_answer", "dropped_after_commit", "truncated")
MAX_EXAMPLES = 8


def http(url, ca, method="GET"):
    ctx = ssl.create_default_context(cafile=ca)
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, context=ctx, timeout=600) as r:
        return r.read()


def unprotect(cell):
    """Undoes the formula guard of leadpipe's CSV outputs (a leading ' before = @ + - TAB CR)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_LEADS:
        return cell[1:]
    return cell


def read_outcomes(path):
    """line -> (outcome, email, reason, by); plus the lines seen more than once."""
    by_line = {}
    repeated = []
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or header[:3] != ["line", "email", "outcome"]:
            raise SystemExit(f"{path}: not an outcome file (header {header})")
        for rec in rows:
            line = int(rec[0])
            if line in by_line:
                repeated.append(line)
            by_line[line] = (rec[2], unprotect(rec[1]), rec[3], rec[6])
    return by_line, repeated


def members_of(state, campaign):
    for c in state["campaigns"]:
        if c["id"] == campaign:
            return c
    raise SystemExit(f"campaign {campaign} is not in the simulator's state")


class checker:
    def __init__(self):
        self.errors = []

    def expect(self, ok, message):
        if not ok:
            self.errors.append(message)
        return ok

    def examples(self, what, items):
        items = sorted(items)
        if items:
            shown = ", ".join(str(i) for i in items[:MAX_EXAMPLES])
            self.errors.append(f"{what}: {len(items)} (e.g. {shown})")


def check_lines(ck, got, ref):
    """Every reference row once, with the reference's outcome (accepted -> added or not imported)."""
    ck.examples("rows missing from the outcome file", ref.keys() - got.keys())
    ck.examples("rows in the outcome file that are not input rows", got.keys() - ref.keys())
    wrong = []
    not_imported = []
    for line, (want, *_) in ref.items():
        have = got.get(line)
        if have is None:
            continue
        if want == "accepted":
            if have[0] in NOT_IMPORTED:
                not_imported.append(line)
            elif have[0] != "added":
                wrong.append(f"line {line}: {have[0]} (validate: accepted)")
        elif have[0] != want:
            wrong.append(f"line {line}: {have[0]} (validate: {want})")
    ck.examples("rows whose outcome differs from validate's", wrong)
    return not_imported


def check_counts(ck, counts, expected):
    for name, want in expected["outcomes"].items():
        have = counts[name]
        if name == "accepted":
            have = counts["added"] + sum(counts[n] for n in NOT_IMPORTED)
        ck.expect(have == want, f"outcome {name}: {have} in the outcome file, leadpipe-gen expects {want}")
    ck.expect(sum(counts.values()) == expected["rows"],
              f"outcome file holds {sum(counts.values())} rows, leadpipe-gen wrote {expected['rows']}")


def check_campaign(ck, got, before, after, campaign):
    """The added leads are exactly the campaign's new members, each once."""
    c0 = members_of(before, campaign)
    c1 = members_of(after, campaign)
    emails = [m["email"].lower() for m in c1["members"]]
    dup = [e for e, n in collections.Counter(emails).items() if n > 1]
    ck.examples("addresses in the campaign more than once", dup)
    dup_ids = [i for i, n in collections.Counter(m["lead_id"] for m in c1["members"]).items() if n > 1]
    ck.examples("lead ids in the campaign more than once", dup_ids)
    old = {m["email"].lower() for m in c0["members"]}
    now = set(emails)
    ck.examples("members before the import that are gone", old - now)
    added = [v[1].lower() for v in got.values() if v[0] == "added"]
    ck.examples("addresses marked added twice", [e for e, n in collections.Counter(added).items() if n > 1])
    added_set = set(added)
    new = now - old
    ck.examples("leads marked added that are not in the campaign", added_set - new)
    landed = {v[1].lower() for v in got.values() if v[0] in NOT_IMPORTED} & new
    ck.examples("leads marked not imported that are in the campaign", landed)
    ck.examples("campaign members no outcome accounts for", new - added_set - landed)
    ck.expect(c1["member_count"] == c0["member_count"] + len(added),
              f"member_count {c1['member_count']} != {c0['member_count']} before + {len(added)} added")
    grown = after["lead_count"] - before["lead_count"]
    ck.expect(grown == len(added), f"the simulator holds {grown} new lead records for {len(added)} added")
    return len(new)


def check_report(ck, rep, counts, rows, resumed):
    outs = rep["outcomes"]
    ck.expect(rep.get("balanced") is True, "report: balanced is not true")
    ck.expect(rep["rows_read"] == sum(outs.values()),
              f"report: rows_read {rep['rows_read']} != sum of outcomes {sum(outs.values())}")
    ck.expect(rep["rows_read"] + rep["resumed_rows"] == rows,
              f"report: rows_read {rep['rows_read']} + resumed_rows {rep['resumed_rows']} != {rows}")
    for name, n in outs.items():
        # A resumed run reports its own share; the outcome file holds both runs' rows.
        ok = n <= counts[name] if resumed else n == counts[name]
        ck.expect(ok, f"report: {name} {n}, outcome file {counts[name]}")
    if not resumed:
        ck.expect(rep["resumed_rows"] == 0, "report: resumed_rows of a run that did not resume")


def sim_figures(after):
    """The simulator's own counts, over every route (the import's sync reads several)."""
    routes = after["counters"]
    total = collections.Counter()
    for counts in routes.values():
        total.update(counts)
    return {
        "requests": after["requests"],
        "by_route": {r: sum(c.values()) for r, c in routes.items()},
        "answered_200": total.get("200", 0),
        "faults": {k: total.get(k, 0) for k in FAULT_COUNTERS},
        "spurious_429": after["spurious_429"],
        "rate_limited_429": after["rate_limited_429"],
        "max_in_flight": after["max_in_flight"],
        "keepalive_max": after["options"].get("keepalive_max", 0),
        "fault_rules": after["faults"]["rules"],
    }


def cmd_check(a):
    ck = checker()
    expected = json.load(open(a.expected))
    ref, ref_rep = read_outcomes(a.reference)
    ck.expect(not ref_rep, "the reference outcome file repeats lines")
    got, repeated = read_outcomes(a.outcomes)
    ck.examples("rows in the outcome file more than once", set(repeated))
    ck.expect(len(ref) == expected["rows"], f"validate saw {len(ref)} rows, leadpipe-gen wrote {expected['rows']}")
    not_imported = check_lines(ck, got, ref)
    counts = collections.Counter(v[0] for v in got.values())
    check_counts(ck, counts, expected)
    before = json.load(open(a.before))
    after = json.load(open(a.after))
    new_members = check_campaign(ck, got, before, after, a.campaign)
    rep = None
    if a.report:
        rep = json.load(open(a.report))
        check_report(ck, rep, counts, expected["rows"], a.kills > 0)
        ck.expect(a.exit_code == (1 if not_imported else 0),
                  f"leadpipe exited {a.exit_code} with {len(not_imported)} leads not imported")
    elif not a.allow_no_report:
        ck.errors.append("no report: the last run did not write one")
    result = {
        "phase": a.phase, "rows": expected["rows"], "accepted": expected["outcomes"]["accepted"],
        "added": counts["added"], "not_imported": len(not_imported), "new_members": new_members,
        "confirmed_on_retry": sum(1 for v in got.values() if v[2] == "confirmed_on_retry"),
        "by_server": dict(collections.Counter(v[0] for v in got.values()
                                              if v[3] == "server" and v[0] != "added")),
        "orphaned": a.orphaned,
        "client_retries": rep["network"]["retries"] if rep else None,
        "sim": sim_figures(after), "kills": a.kills, "runs": a.runs, "elapsed": a.elapsed,
        "errors": ck.errors,
    }
    json.dump(result, open(a.result, "w"), indent=1)
    status = "ok" if not ck.errors else f"{len(ck.errors)} MISMATCH(ES)"
    print(f"soak check [{a.phase}]: {len(got):,} rows, {counts['added']:,} added, "
          f"{new_members:,} new members, {len(not_imported)} not imported: {status}")
    for e in ck.errors:
        print(f"  - {e}")
    return 0 if not ck.errors else 1


def cmd_summary(paths):
    phases = [json.load(open(p)) for p in paths]
    def row(label, f):
        print(f"| {label} | " + " | ".join(str(f(p)) for p in phases) + " |")
    print("| | " + " | ".join(p["phase"] for p in phases) + " |")
    print("|---|" + "---|" * len(phases))
    row("input rows / accepted by validate", lambda p: f"{p['rows']:,} / {p['accepted']:,}")
    row("added = new campaign members", lambda p: f"{p['added']:,} = {p['new_members']:,}")
    row("of which confirmed on retry (answer lost)", lambda p: f"{p['confirmed_on_retry']:,}")
    row("not imported (accounted)", lambda p: p["not_imported"])
    row("skipped by the server", lambda p: ", ".join(f"{k} {v:,}" for k, v in p["by_server"].items()))
    row("requests the simulator saw", lambda p: f"{p['sim']['requests']:,}")
    row("by route", lambda p: ", ".join(f"{r} {n:,}" for r, n in p["sim"]["by_route"].items()))
    row("answered 200", lambda p: f"{p['sim']['answered_200']:,}")
    for k in FAULT_COUNTERS:
        if any(p["sim"]["faults"][k] for p in phases):
            row(f"fault: {k}", lambda p, k=k: p["sim"]["faults"][k])
    row("fault: spurious 429", lambda p: p["sim"]["spurious_429"])
    row("fault: keep-alive close every N requests", lambda p: p["sim"]["keepalive_max"])
    row("most requests in flight", lambda p: p["sim"]["max_in_flight"])
    row("client retries (last run's report)", lambda p: p["client_retries"])
    row("runs / SIGKILLs survived", lambda p: f"{p['runs']} / {p['kills']}")
    row("kills that left batches unsettled / those batches", lambda p: p["orphaned"] or "-")
    row("elapsed", lambda p: f"{p['elapsed']:.1f} s")
    row("result", lambda p: "ok" if not p["errors"] else f"{len(p['errors'])} mismatch(es)")
    return 0 if all(not p["errors"] for p in phases) else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "get":
        open(sys.argv[4], "wb").write(http(sys.argv[2], sys.argv[3]))
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "post":
        http(sys.argv[2], sys.argv[3], "POST")
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "summary":
        return cmd_summary(sys.argv[2:])
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["check"])
    p.add_argument("--phase", required=True)
    p.add_argument("--outcomes", required=True)
    p.add_argument("--reference", required=True, help="outcome file of leadpipe validate")
    p.add_argument("--expected", required=True, help="leadpipe-gen --expect file")
    p.add_argument("--report", default="", help="the last run's report (empty: none was written)")
    p.add_argument("--before", required=True, help="simulator state before the phase")
    p.add_argument("--after", required=True, help="simulator state after the phase")
    p.add_argument("--allow-no-report", action="store_true",
                   help="the last run was killed after it finished, before writing its report")
    p.add_argument("--campaign", type=int, default=1)
    p.add_argument("--exit-code", type=int, default=0)
    p.add_argument("--kills", type=int, default=0)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--elapsed", type=float, default=0.0)
    p.add_argument("--orphaned", default="",
                   help="kills that left dispatched batches unsettled / those batches")
    p.add_argument("--result", required=True)
    return cmd_check(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
