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
district-not-yet = This district cannot use this part: it is a setting of the whole installation (such as the approval rules), kept by the installation's home district.
city-plan-title = The city's own plan
city-plan-hint = The city runs no plan of its own yet. It can be made from the district plan template: the city office leads and every district undertakes every content, with the template's deadlines; the districts' liaisons then report progress and the city office reviews, reminds and escalates as a district does. Export, edit and import the plan like any other.
city-plan-create = Make the city's plan
city-plan-open = Open the supervision overview of the city's own plan (the city's tasks for its districts)
error-city-plan-exists = The city already runs its own plan.
error-city-plan-spec = The city's plan cannot be made from the template: the city has no districts, or the template names no city or district.
ob-city-link = Linked city task (上下联动)
ob-serves = Serves the city task
ob-serves-choose = The city task this obligation serves (the city's tasks for this district)
ob-serves-none = None
ob-serves-save = Save the link
ob-serving = The districts' obligations serving this city task
ob-serving-content = District content
error-serves-unknown = Choose one of the city's tasks for this district.
sup-city-tasks = The city's tasks for this district: { $n }, { $accepted } accepted by the city
sup-city-tasks-hint = The city's own plan gives these tasks to this district: the district's liaison for city tasks reports on them and the city office reviews them; on a district obligation's page its office links it to the city task it serves.
sup-city-tasks-list = Show the city's tasks
export-docx = Export Word
