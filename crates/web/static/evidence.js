// Evidence files checked in the browser before the report form is sent: a file of a type the
// server refuses, or larger than it takes, is named at once, and the form is not sent, so
// nothing typed is lost on a slow phone connection. The server checks everything again; the
// form works the same without this file.
(function () {
  "use strict";

  function problem(input) {
    var types = (input.getAttribute("data-types") || "").toLowerCase().split(",");
    var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var files = input.files || [];
    for (var i = 0; i < files.length; i++) {
      var name = files[i].name.toLowerCase();
      var dot = name.lastIndexOf(".");
      var ext = dot >= 0 ? name.slice(dot) : "";
      if (types.length && types.indexOf(ext) < 0) {
        return input.getAttribute("data-msg-type") + " (" + files[i].name + ")";
      }
      if (max > 0 && files[i].size > max) {
        return input.getAttribute("data-msg-size") + " (" + files[i].name + ")";
      }
    }
    return "";
  }

  function check(input) {
    var message = problem(input);
    input.setCustomValidity(message);
    var slot = document.getElementById(input.id + "-error");
    if (slot) {
      slot.textContent = message;
    }
    return message === "";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-max-bytes]")) {
      check(input);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelectorAll) {
      return;
    }
    var inputs = form.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      if (!check(inputs[i])) {
        event.preventDefault();
        inputs[i].focus();
        return;
      }
    }
  });
})();
