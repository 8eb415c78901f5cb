-- A stand-in: this number and name belong to the models helper's migration (ledger: model,
-- cost source), which durable's next migration applies after. It only keeps the numbers
-- without gaps on the durable branch; when merging, take the models branch's file.
SELECT 1;
