"""The annual report pack (an edge): the year's statistics as XLSX, a printable HTML
page and a PDF made from that page, for the CLI (`rectrack report annual`), the API
(GET /stats/annual-report) and the web UI's button. pack.py gathers the numbers once;
the other modules only lay them out."""
