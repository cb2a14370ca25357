"""Document path: PDFs landed by SFTP (Transfer Family) in landing ``documents/`` → text/forms JSON in raw."""
