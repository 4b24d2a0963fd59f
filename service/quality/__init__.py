"""Quality review (质检): a supervisor or a QA reviewer scores one logged contact
(service.contact_log) against the rubric of the call-quality sheet.

How it works
------------
- The rubric is `models.RUBRIC`: greeting, accuracy, attitude, resolution, compliance,
  each 1-5, plus a comment. `service.review_contact` writes one `QaReview` per contact
  and reviewer (reviewing again corrects the marks); nobody reviews their own contact.
- The agent whose contact it was reads their reviews (`reviews_of`); supervisors and
  QA reviewers read everyone's within their storefront scope.
- Each week a sample of every agent's contacts is suggested for review
  (`weekly_sample`): the contacts of the ISO week (UTC) not yet reviewed, ordered by a
  hash of the week and the contact id, so every reviewer and every reload sees the same
  sample, and a new week draws a new one.
- The reports (service.reports.people) average the marks per agent and overall.
"""
