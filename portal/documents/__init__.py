"""PDF documents: CJK fonts, HTML-to-PDF rendering and PAdES signatures."""
