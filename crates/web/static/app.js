// Progressive enhancement only: every form works without this file.
// Forms with data-confirm ask before they submit (reset password, disable account).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// On a phone the navigation folds behind a menu button (the header would otherwise take half
// the screen); without this file the navigation simply stays open.
(function () {
  var header = document.querySelector("header.top");
  var toggle = header && header.querySelector(".menu-toggle");
  if (!toggle) {
    return;
  }
  document.documentElement.classList.add("js");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = header.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

// The complaint form's "use my location" button fills the latitude and longitude fields from
// the phone's position; without this file (or without permission) they are typed or left empty.
(function () {
  var button = document.querySelector("button[data-geo-lat]");
  if (!button || !navigator.geolocation) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById(button.getAttribute("data-geo-lat")).value = pos.coords.latitude.toFixed(6);
      document.getElementById(button.getAttribute("data-geo-lon")).value = pos.coords.longitude.toFixed(6);
    });
  });
})();
