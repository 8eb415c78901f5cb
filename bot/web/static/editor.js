// The Vary Region editor: paint over the image (pointer events: mouse, pen and touch),
// erase, undo, clear; on submit the painting goes to the server as a PNG of the image's own
// size, where painted pixels become the transparent (to change) part of the mask.
"use strict";

(function () {
  const image = document.getElementById("source");
  const canvas = document.getElementById("paint");
  const form = document.getElementById("edit-form");
  const brush = document.getElementById("brush");
  const maskField = document.getElementById("mask");
  const paintButton = document.getElementById("mode-paint");
  const eraseButton = document.getElementById("mode-erase");
  const context = canvas.getContext("2d");
  const strokes = [];
  let mode = "paint";
  let current = null;

  function fit() {
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    redraw();
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height),
    };
  }

  function scale() {
    return canvas.width / canvas.getBoundingClientRect().width;
  }

  function draw(stroke) {
    context.globalCompositeOperation =
      stroke.mode === "erase" ? "destination-out" : "source-over";
    context.strokeStyle = "#3b6cff";
    context.fillStyle = "#3b6cff";
    context.lineWidth = stroke.size;
    context.lineCap = "round";
    context.lineJoin = "round";
    const [first, ...rest] = stroke.points;
    context.beginPath();
    if (rest.length === 0) {
      context.arc(first.x, first.y, stroke.size / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.moveTo(first.x, first.y);
    for (const p of rest) context.lineTo(p.x, p.y);
    context.stroke();
  }

  function redraw() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    for (const stroke of strokes) draw(stroke);
    context.globalCompositeOperation = "source-over";
  }

  function setMode(next) {
    mode = next;
    paintButton.setAttribute("aria-pressed", String(next === "paint"));
    eraseButton.setAttribute("aria-pressed", String(next === "erase"));
    canvas.classList.toggle("erasing", next === "erase");
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const size = Number(brush.value) * scale();
    current = { mode: mode, size: size, points: [point(event)] };
    strokes.push(current);
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (current === null) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) current.points.push(point(e));
    redraw();
  });
  const finish = () => {
    current = null;
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  paintButton.addEventListener("click", () => setMode("paint"));
  eraseButton.addEventListener("click", () => setMode("erase"));
  document.getElementById("undo").addEventListener("click", () => {
    strokes.pop();
    redraw();
  });
  document.getElementById("clear").addEventListener("click", () => {
    strokes.length = 0;
    redraw();
  });
  form.addEventListener("submit", () => {
    maskField.value = canvas.toDataURL("image/png");
    document.getElementById("send").disabled = true;
    document.getElementById("send").textContent = "Working… this can take a minute";
  });

  if (image.complete && image.naturalWidth) fit();
  else image.addEventListener("load", fit);
})();
