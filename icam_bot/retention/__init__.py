"""The retention job: purges old question logs and redacts finished items' free text on the records schedule
(``icam_bot.records.policy``), recording each run in the access log. It reaches into every domain that keeps
personal text, so it sits above them all."""
