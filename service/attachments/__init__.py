"""Attachments: photos and documents on a case (damage photos at intake, goods-in photos
at receipt, invoices), sniffed, re-encoded, thumbnailed and stored behind a small
storage interface."""
