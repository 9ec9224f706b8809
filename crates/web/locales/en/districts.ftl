# District comparison: each district's supervision progress side by side, with the total of the
# level above (the city, the province).

nav-districts = Districts
districts-title = Supervision progress by district
districts-hint = Each district's figures equal its own supervision overview; the total adds up the districts' counts before taking rates, it is not the mean of their rates.
districts-export = Export to Excel
districts-progress = Progress
districts-by-category = Completion rate by district and category
districts-district = District
districts-total = Total
districts-sheet-progress = Progress by district
districts-sheet-categories = By category
unit-kind-province = Province
error-district-spec = The district code and the unit code prefix must be uppercase letters, and the district needs a name.
error-district-exists = This district already runs its own plan.
district-not-yet = This district cannot use this part yet: supervision (obligations, progress reports, reviews, the overview and the district comparison) is kept per district so far; the other parts follow.
