"""Run every benchmark of the outside view and print the figures: `make bench`.

Each figure is a ratio measured in this one run (against the critical path of round trips,
or against checkdmarc over the same lab), because these machines are shared and noisy; the
all-passive throughput (domains a minute) is absolute, with how busy the machine was beside it.
"""

from __future__ import annotations

import argparse
import json
import sys

import active
import assessments
import email_check
import help_pages
import latency
import report_pdf
import startup
import throughput
import web_load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--passive-concurrency", type=int,
                        default=throughput.PASSIVE_CONCURRENCY,
                        help="domains each process scans at once with all passive checks")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()

    figures = {"startup": startup.benchmark()}
    print("\n".join(startup.report(figures["startup"])), flush=True)
    figures["latency"] = latency.benchmark()
    print("\n".join(latency.report(figures["latency"])), flush=True)
    figures["throughput"] = throughput.benchmark(
        count=args.domains, processes=args.processes,
        passive_concurrency=args.passive_concurrency)
    print("\n".join(throughput.report(figures["throughput"])), flush=True)
    figures["active"] = active.benchmark()
    print("\n".join(active.report(figures["active"])), flush=True)
    figures["assessments"] = assessments.benchmark()
    print("\n".join(assessments.report(figures["assessments"])), flush=True)
    figures["report_pdf"] = report_pdf.benchmark()
    print("\n".join(report_pdf.report(figures["report_pdf"])), flush=True)
    figures["help_pages"] = help_pages.benchmark()
    print("\n".join(help_pages.report(figures["help_pages"])), flush=True)
    figures["email_check"] = email_check.benchmark()
    print("\n".join(email_check.report(figures["email_check"])), flush=True)
    # 20 users as people use the site (a pause between pages), then with no pause at all.
    figures["web_load"] = web_load.benchmark(think=(web_load.THINK_S, 0.0))
    print("\n".join(web_load.report(figures["web_load"])), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(figures, handle, indent=2, default=str)
    if not figures["throughput"].get("checkdmarc"):
        print("checkdmarc did not run: the throughput comparison is missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
