"""Known exploited vulnerabilities: the dataset shipped with the package (and the copy a user
updates with `cyberbasics data update`), version comparison, and the importers of the CISA
KEV catalogue and OSV records. See docs/vulns.md."""
