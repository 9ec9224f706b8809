// Progressive enhancement only: every form works without this file.
// Forms with data-confirm ask before they submit (reset password, disable account).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
