"""The weekly digest: query the analyst views, render HTML and text, deliver by SMTP."""
