"""The portal: the pages each service serves to people in a browser, in one look and one sign-in.

Every service serves the pages of what it owns (the requests service the requests and the review
queue, matching the proposals and coalitions, the inventory the sources and their ledger, the
notifications service the dashboard and each principal's notifications), under `/portal/...`.
This package is what they share: the signed-in principal (`session`), rendering pages in the
common frame with the site's navigation (`pages`), and forms whose writes go through the same use
cases, rules and idempotency as the API (`forms`).

A page never widens access: it runs the use cases and read paths of its service's API with the
principal the key names, so each page shows what that principal may see through the API.
"""
