// The page shown while a run's HTML report is built: ask the dashboard to build it, then
// show it (the dashboard then serves the stored report), or say in words why it could not:
// that the dashboard did not answer (a network failure), or what it answered.
"use strict";

(async () => {
  const status = document.getElementById("report-status");
  let response, text;
  try {
    response = await fetch(location.pathname + "?build=1");
    text = await response.text();
  } catch (err) {
    response = null;
  }
  let data = null;
  try { data = JSON.parse(text); } catch (err) { data = null; }
  if (response && response.ok && data !== null) { location.replace(location.pathname); return; }
  if (!response) {
    status.textContent = "The report could not be built: the dashboard did not answer " +
      "(is scsim dashboard still running?).";
  } else if (data && data.error && response.status < 500) {
    status.textContent = `The report could not be built: ${data.error}`;
  } else {
    // its reason (JSON), else its plain-text answer when that is one short line
    const plain = (text || "").trim();
    const reason = data && data.error ? data.error :
      plain && plain.length < 200 && !plain.includes("\n") && !plain.startsWith("<") ? plain :
      response.statusText;
    status.textContent = "The report could not be built: the dashboard answered with an " +
      `error (HTTP ${response.status}${reason ? ": " + reason : ""}).`;
  }
  status.dataset.state = "failed";
  document.getElementById("report-progress").hidden = true;
})();
