# Districts compared on supervision sampling, and the district on the public pages (each
# district keeps its own enterprise register and sampling records)

nav-sampling-districts = Sampling by district
regd-title = Supervision sampling by district
regd-hint = Each district's figures are those of its own sampling page; the total adds up the districts' sampled and passed batches and takes the pass rate of the sums, not the mean of the districts' rates.
regd-export = Export to Excel
regd-year = Sampling year
regd-figures = Supervision sampling and enterprise register, { $year }
regd-district = District
regd-all-districts = All districts
regd-sampled = Batches sampled
regd-passed = Passed
regd-failed = Failed
regd-rate = Pass rate
regd-registered = Enterprises registered
regd-blacklisted = Blacklisted enterprises
regd-total = Total
regd-by-category = Pass rate by product category and district
regd-sheet-figures = Sampling by district
regd-sheet-categories = By product category
