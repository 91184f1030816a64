// Shared by the live quiz's projector and phone pages: answer shapes drawn as SVG (colour is never the only
// signal), a tiny template formatter for the translated strings, and a safe element builder (textContent
// only: nicknames and question texts are user input).
(function () {
  "use strict";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SHAPES = {
    triangle: ["polygon", { points: "12,2.5 22.5,21 1.5,21" }],
    diamond: ["polygon", { points: "12,1.5 22.5,12 12,22.5 1.5,12" }],
    circle: ["circle", { cx: "12", cy: "12", r: "10" }],
    square: ["rect", { x: "2.5", y: "2.5", width: "19", height: "19" }],
    star: ["polygon", { points: "12,1.5 14.9,8.6 22.5,9.2 16.7,14.1 18.5,21.6 12,17.6 5.5,21.6 7.3,14.1 1.5,9.2 9.1,8.6" }],
    hexagon: ["polygon", { points: "6.5,2.5 17.5,2.5 23,12 17.5,21.5 6.5,21.5 1,12" }],
  };

  function fmt(template, values) {
    return String(template).replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function shapeIcon(shape) {
    const [tag, attrs] = SHAPES[shape] || SHAPES.square;
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.classList.add("shape-icon");
    const figure = document.createElementNS(SVG_NS, tag);
    Object.entries(attrs).forEach(([k, v]) => figure.setAttribute(k, v));
    svg.appendChild(figure);
    return svg;
  }
  // The shape drawn, plus its name for screen readers.
  function shapeMark(choice, shapeNames) {
    const mark = el("span", "shape-mark");
    mark.appendChild(shapeIcon(choice.shape));
    mark.appendChild(el("span", "visually-hidden", (shapeNames[choice.shape] || choice.shape) + ": "));
    return mark;
  }
  window.LiveCommon = { fmt: fmt, el: el, shapeIcon: shapeIcon, shapeMark: shapeMark };
})();
