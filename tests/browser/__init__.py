"""Browser tests: the pages in Chromium, checked with axe-core and driven by keyboard alone."""
