{% raw %}
"use strict";
(function () {
  // Sortable tables: each column heading becomes a button; a second press reverses.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.hasAttribute("data-numeric");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length === heads.length; });
        rows.sort(function (a, b) {
          var x = a.cells[column].textContent, y = b.cells[column].textContent;
          var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // A department filter above each report's table.
  document.querySelectorAll("table[data-filter-column]").forEach(function (table) {
    var column = Number(table.getAttribute("data-filter-column"));
    var id = "filter-" + table.getAttribute("data-report");
    var wrap = document.createElement("p");
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = "Filter by department ";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "department-filter";
    wrap.appendChild(label);
    wrap.appendChild(input);
    table.parentNode.parentNode.insertBefore(wrap, table.parentNode);
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var cell = row.cells[column];
        row.hidden = Boolean(wanted) && !!cell && cell.textContent.toLowerCase().indexOf(wanted) < 0;
      });
    });
  });

  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "unknown"; }
    var whole = Math.round(seconds), minutes = Math.floor(whole / 60);
    return minutes ? minutes + " min " + (whole % 60) + " s" : whole + " s";
  }

  function resultText(result) {
    if (!result) { return ""; }
    var tables = result.tables || {};
    if (!result.tables) { tables[result.table || "?"] = result; }
    return Object.keys(tables).map(function (t) {
      var s = tables[t];
      return t + ": " + (s.inserted || 0) + " inserted, " + (s.already_exists || 0) +
        " already there, " + (s.rejected || 0) + " rejected";
    }).join("; ");
  }

  function figures(task) {
    var p = task.progress;
    var text = (p.percent === null ? "?" : p.percent) + "%, " + p.rows_read + " rows";
    if (p.rows_per_second !== null) { text += ", " + Math.round(p.rows_per_second) + " rows/s"; }
    if (task.state === "PENDING" || task.state === "STARTED") { text += ", " + duration(p.eta_seconds) + " left"; }
    return text;
  }

  function showProgress(bar, task) {
    bar.hidden = false;
    if (task.progress.percent === null) { bar.removeAttribute("value"); }
    else { bar.value = task.progress.percent; }
    bar.textContent = task.progress.percent === null ? "" : task.progress.percent + "%";
  }

  var FINISHED = ["SUCCESS", "FAILURE", "CANCELLED"];

  // Asks /task-status every second until the task ends; calls update with each answer.
  function follow(taskId, update) {
    function ask() {
      fetch("/task-status/" + encodeURIComponent(taskId), {headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (task) {
          update(task);
          if (FINISHED.indexOf(task.state) < 0) { setTimeout(ask, 1000); }
        })
        .catch(function () { setTimeout(ask, 3000); });
    }
    ask();
  }

  function updateRow(row, task) {
    row.setAttribute("data-state", task.state);
    row.querySelector(".state").textContent = task.state;
    showProgress(row.querySelector("progress"), task);
    row.querySelector(".figures").textContent = figures(task);
    row.querySelector(".result").textContent = resultText(task.result) + (task.error ? " " + task.error : "");
  }

  // Live progress of the loads listed as running.
  document.querySelectorAll("#tasks tr[data-task-id]").forEach(function (row) {
    var state = row.getAttribute("data-state");
    if (state === "PENDING" || state === "STARTED") {
      follow(row.getAttribute("data-task-id"), function (task) { updateRow(row, task); });
    }
  });

  function answerText(body) {
    if (body && body.error) { return "Refused: " + body.error.message; }
    if (body && body.items) { return "Backed up: " + body.items.map(function (b) { return b.backup + " (" + b.rows + " rows)"; }).join(", "); }
    if (body && body.backup && body.rows !== undefined) { return "Restored " + body.table + " from " + body.backup + " (" + body.rows + " rows)"; }
    return "";
  }

  function followInForm(form, status, taskId) {
    var bar = form.querySelector("progress.task");
    status.textContent = "Load " + taskId.slice(0, 8) + " queued";
    follow(taskId, function (task) {
      if (bar) { showProgress(bar, task); }
      form.setAttribute("data-task-state", task.state);
      status.textContent = "Load " + taskId.slice(0, 8) + ": " + task.state + ", " + figures(task) +
        (FINISHED.indexOf(task.state) >= 0 ? ". " + resultText(task.result) + (task.error ? " " + task.error : "") : "");
      var row = document.querySelector('#tasks tr[data-task-id="' + task.task_id + '"]');
      if (row) { updateRow(row, task); }
    });
  }

  // The action buttons: the request goes to the API route; its answer shows in the form.
  document.querySelectorAll("form[data-action]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { return; }
      var status = form.querySelector(".status") || document.getElementById("restore-status") ||
        form.parentNode.querySelector(".status");
      if (!status) {
        status = document.createElement("span");
        status.className = "status";
        status.setAttribute("role", "status");
        form.appendChild(status);
      }
      var kind = form.getAttribute("data-action");
      if (kind === "upload") {
        var bar = form.querySelector("progress.upload");
        var request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.upload.onprogress = function (e) {
          if (e.lengthComputable) {
            bar.hidden = false;
            bar.value = Math.floor(100 * e.loaded / e.total);
            status.textContent = "Uploading: " + bar.value + "%";
          }
        };
        request.onload = function () {
          var body = null;
          try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
          if (request.status === 202 && body) { bar.value = 100; followInForm(form, status, body.task_id); }
          else { status.textContent = answerText(body) || "Upload failed: HTTP " + request.status; }
        };
        request.onerror = function () { status.textContent = "The upload could not be sent."; };
        status.textContent = "Uploading";
        request.send(new FormData(form));
        return;
      }
      status.textContent = "Sending";
      fetch(form.action, {method: "POST", headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) { return {status: response.status, body: body}; });
        })
        .then(function (answer) {
          if (answer.status === 202 && answer.body.task_id) { followInForm(form, status, answer.body.task_id); }
          else if (answer.body && answer.body.task_id && answer.body.state) {
            var row = document.querySelector('#tasks tr[data-task-id="' + answer.body.task_id + '"]');
            if (row) { updateRow(row, answer.body); }
            status.textContent = answer.body.state;
          } else { status.textContent = answerText(answer.body) || "HTTP " + answer.status; }
        })
        .catch(function () { status.textContent = "The request could not be sent."; });
    });
  });
})();
{% endraw %}
