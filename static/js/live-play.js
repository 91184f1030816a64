// Live quiz, player's phone: joins /ws/live/<pin>/ with a nickname (or rejoins with the token kept in
// localStorage), answers each question, shows the result, leaderboard and podium (docs/live-protocol.md).
// Texts come from the page (#live-strings and the sections' markup); server data only goes through textContent.
(function () {
  "use strict";
  const root = document.getElementById("live-play");
  if (!root) return;
  const S = JSON.parse(document.getElementById("live-strings").textContent);
  const { fmt, el, shapeIcon } = window.LiveCommon;
  const shapeMark = (choice) => window.LiveCommon.shapeMark(choice, S.shapes);
  const $ = (id) => document.getElementById(id);
  const tokenKey = "live-token-" + root.dataset.pin;


  const me = { player: null, nickname: "", score: 0, rank: null };
  const game = {
    question: null, sentIndex: null, ackIndex: null, selected: new Set(), order: [],
    paused: false, endsAt: 0, remaining: 0, timeUp: false,
  };

  function getToken() { try { return localStorage.getItem(tokenKey); } catch (e) { return null; } }
  function setToken(token) { try { localStorage.setItem(tokenKey, token); } catch (e) { /* private mode */ } }
  function clearToken() { try { localStorage.removeItem(tokenKey); } catch (e) { /* private mode */ } }

  // --- Views ----------------------------------------------------------------------------------
  const views = ["connecting", "join", "lobby", "wait", "question", "received", "result", "leaderboard", "ended", "gone"];
  const focusTarget = { question: "pq-text", received: "pv-received-title", result: "pr-verdict",
    leaderboard: "pl-title", ended: "pe-title", gone: "pg-title" };
  function show(view) {
    const changed = root.dataset.view !== view;
    views.forEach((name) => { $("pv-" + name).hidden = name !== view; });
    root.dataset.view = view;
    if (!changed) return;
    // Move focus to the new view's heading so that keyboard and screen-reader users follow the game.
    const target = focusTarget[view];
    if (target) $(target).focus({ preventScroll: true });
    if (view === "join") $("nickname").focus();
    window.scrollTo({ top: root.getBoundingClientRect().top + window.scrollY - 8 });
  }
  function showError(message) {
    const box = $("play-error");
    box.textContent = message;
    box.hidden = !message;
  }
  function setConnection(state) {
    const node = $("play-connection");
    node.dataset.state = state;
    node.textContent = S[state] || "";
  }
  function setScore(score) {
    me.score = score;
    $("my-score").textContent = score;
    $("my-score").dataset.score = score;
  }

  // --- Question -------------------------------------------------------------------------------
  function renderQuestion(q) {
    game.question = q;
    game.selected = new Set();
    game.order = q.choices.map((c) => c.id);
    game.timeUp = false;
    showError("");
    $("pq-progress").textContent = fmt(S.progress, { index: q.index + 1, count: q.count });
    $("pq-text").textContent = q.text;
    $("pq-hint-multiple").hidden = q.kind !== "multiple";
    $("pq-hint-ordering").hidden = q.kind !== "ordering";
    const grid = $("pq-choices");
    grid.replaceChildren();
    grid.dataset.kind = q.kind;
    grid.hidden = !["single", "true_false", "multiple"].includes(q.kind);
    if (!grid.hidden) {
      q.choices.forEach((choice) => {
        const button = el("button", "answer-btn");
        button.type = "button";
        button.dataset.choiceId = choice.id;
        button.dataset.color = choice.color;
        button.dataset.shape = choice.shape;
        if (q.kind === "multiple") button.setAttribute("aria-pressed", "false");
        button.appendChild(shapeMark(choice));
        button.appendChild(el("span", "answer-text", choice.text));
        if (q.kind === "multiple") button.appendChild(el("span", "toggle-mark", "✓")).setAttribute("aria-hidden", "true");
        grid.appendChild(button);
      });
    }
    $("pq-order").hidden = q.kind !== "ordering";
    if (q.kind === "ordering") renderOrder();
    $("pq-text-form").hidden = q.kind !== "short_text";
    $("pq-text-input").value = "";
    $("pq-submit").hidden = !["multiple", "ordering", "short_text"].includes(q.kind);
    $("pq-sending").hidden = true;
    show("question");
    setTimer(q.remaining_ms, q.paused);
  }
  function renderOrder() {
    const q = game.question;
    const byId = new Map(q.choices.map((c) => [c.id, c]));
    const ol = $("pq-order");
    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.move : null;
    const focusedItem = focusedId ? document.activeElement.dataset.item : null;
    ol.replaceChildren();
    game.order.forEach((id, i) => {
      const choice = byId.get(id);
      const li = el("li", "order-item");
      li.dataset.choiceId = id;
      li.dataset.color = choice.color;
      li.appendChild(el("span", "order-pos", i + 1));
      li.appendChild(el("span", "order-text", choice.text));
      const up = el("button", "order-btn secondary", "▲");
      up.type = "button";
      up.dataset.move = "up";
      up.dataset.item = id;
      up.setAttribute("aria-label", fmt(S.move_up, { text: choice.text }));
      up.disabled = i === 0;
      const down = el("button", "order-btn secondary", "▼");
      down.type = "button";
      down.dataset.move = "down";
      down.dataset.item = id;
      down.setAttribute("aria-label", fmt(S.move_down, { text: choice.text }));
      down.disabled = i === game.order.length - 1;
      li.append(up, down);
      ol.appendChild(li);
    });
    if (focusedItem !== null) {
      let button = ol.querySelector('button[data-item="' + focusedItem + '"][data-move="' + focusedId + '"]');
      if (button && button.disabled) button = ol.querySelector('button[data-item="' + focusedItem + '"]:not([disabled])');
      if (button) button.focus();
    }
  }
  function controlsOpen() {
    return root.dataset.view === "question" && !game.paused && !game.timeUp && game.sentIndex !== game.question.index;
  }
  function updateControls() {
    if (!game.question) return;
    const open = controlsOpen();
    $("pq-choices").querySelectorAll("button").forEach((b) => { b.disabled = !open; });
    $("pq-order").querySelectorAll("button").forEach((b, i, all) => {
      if (!open) b.disabled = true;
      else b.disabled = (b.dataset.move === "up" && i === 0) || (b.dataset.move === "down" && i === all.length - 1);
    });
    $("pq-text-input").disabled = !open;
    const kind = game.question.kind;
    let ready = open;
    if (kind === "multiple") ready = open && game.selected.size > 0;
    if (kind === "short_text") ready = open && $("pq-text-input").value.trim() !== "";
    $("pq-submit").disabled = !ready;
  }
  function setTimer(remaining, paused) {
    game.paused = Boolean(paused);
    game.remaining = remaining;
    game.endsAt = performance.now() + remaining;
    $("pq-paused").hidden = !game.paused;
    tick();
    updateControls();
  }
  function tick() {
    if (!game.question || root.dataset.view !== "question") return;
    const left = game.paused ? game.remaining : Math.max(0, game.endsAt - performance.now());
    const seconds = Math.ceil(left / 1000);
    const node = $("pq-countdown");
    if (node.textContent !== String(seconds)) node.textContent = seconds;
    node.classList.toggle("urgent", seconds <= 5);
    if (left <= 0 && !game.timeUp) { game.timeUp = true; updateControls(); }
  }
  setInterval(tick, 250);

  function sendAnswer(response) {
    const q = game.question;
    if (!q || !controlsOpen()) return;
    if (send({ type: "answer", question: q.index, response: response })) {
      game.sentIndex = q.index;
      $("pq-sending").hidden = false;
      updateControls();
    }
  }
  $("pq-choices").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-choice-id]");
    if (!button || button.disabled) return;
    const id = button.dataset.choiceId; // an opaque token (docs/live-protocol.md), sent back as it came
    if (game.question.kind === "multiple") {
      if (game.selected.has(id)) game.selected.delete(id); else game.selected.add(id);
      button.setAttribute("aria-pressed", String(game.selected.has(id)));
      updateControls();
    } else {
      button.classList.add("chosen");
      sendAnswer(id);
    }
  });
  $("pq-order").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button || button.disabled) return;
    const id = button.dataset.item;
    const i = game.order.indexOf(id);
    const j = button.dataset.move === "up" ? i - 1 : i + 1;
    if (j < 0 || j >= game.order.length) return;
    [game.order[i], game.order[j]] = [game.order[j], game.order[i]];
    renderOrder();
    updateControls();
  });
  $("pq-text-input").addEventListener("input", updateControls);
  $("pq-text-form").addEventListener("submit", (event) => { event.preventDefault(); submitComposite(); });
  $("pq-submit").addEventListener("click", submitComposite);
  function submitComposite() {
    const kind = game.question && game.question.kind;
    if (kind === "multiple" && game.selected.size) sendAnswer(Array.from(game.selected));
    else if (kind === "ordering") sendAnswer(game.order.slice());
    else if (kind === "short_text") {
      const text = $("pq-text-input").value.trim();
      if (text) sendAnswer(text);
    }
  }

  // --- Result, leaderboard, end -------------------------------------------------------------------
  function rightAnswerText(r, q) {
    if (r.kind === "short_text") return (r.accepted || []).join(" / ");
    if (!q || q.index !== r.index) return "";
    const byId = new Map(q.choices.map((c) => [c.id, c.text]));
    const texts = r.correct.map((id) => byId.get(id)).filter((t) => t !== undefined);
    return texts.join(r.kind === "ordering" ? " → " : " · ");
  }
  function renderResult(r) {
    if (!("score" in r)) { show("wait"); return; } // joined after this question: nothing to score yet
    const answered = game.ackIndex === r.index || game.sentIndex === r.index;
    $("pr-right").hidden = !r.right;
    $("pr-wrong").hidden = r.right || !answered;
    $("pr-none").hidden = r.right || answered;
    $("pr-verdict").dataset.right = String(Boolean(r.right));
    $("pv-result").dataset.right = String(Boolean(r.right));
    $("pr-points").textContent = "+" + r.points;
    $("pr-points").dataset.points = r.points;
    $("pr-score").textContent = r.score;
    $("pr-rank").textContent = r.rank;
    $("pr-streak").textContent = r.streak;
    me.rank = r.rank;
    setScore(r.score);
    const answer = rightAnswerText(r, game.question);
    $("pr-answer").textContent = answer;
    $("pr-answer-box").hidden = !answer;
    $("pr-explanation").textContent = r.explanation || "";
    $("pr-explanation").hidden = !r.explanation;
    show("result");
  }
  function renderLeaderboard(board) {
    const ol = $("pl-board");
    ol.replaceChildren();
    let mine = false;
    board.top.forEach((row) => {
      const li = el("li", "board-row");
      li.dataset.player = row.player;
      li.appendChild(el("span", "board-rank", row.rank));
      const name = el("span", "board-name", row.nickname);
      if (row.player === me.player) {
        mine = true;
        li.classList.add("me");
        li.setAttribute("aria-current", "true");
        name.appendChild(el("span", "me-mark", " (" + S.you + ")"));
      }
      li.appendChild(name);
      li.appendChild(el("span", "board-score", row.score));
      ol.appendChild(li);
    });
    $("pl-mine").hidden = mine || !me.rank;
    $("pl-my-rank").textContent = me.rank || "";
    show("leaderboard");
  }
  function renderEnded(m) {
    finished = true;
    clearToken();
    if ("score" in m) setScore(m.score);
    $("final-score").textContent = me.score;
    $("final-score").dataset.score = me.score;
    $("final-rank").textContent = m.rank || me.rank || "–";
    const ol = $("pe-podium");
    ol.replaceChildren();
    (m.podium || []).forEach((row, i) => {
      const li = el("li", "podium-row");
      li.dataset.place = i + 1;
      li.dataset.player = row.player;
      li.dataset.score = row.score;
      if (row.player === me.player) li.classList.add("me");
      li.appendChild(el("span", "podium-place", S.places[String(row.rank)] || "#" + row.rank));
      li.appendChild(el("span", "podium-name", row.nickname));
      li.appendChild(el("span", "podium-score", fmt(S.points, { n: row.score })));
      ol.appendChild(li);
    });
    show("ended");
  }
  function gone(reason) {
    if (connection) connection.stop();
    ["kicked", "replaced", "ended"].forEach((r) => { $("pg-" + r).hidden = r !== reason; });
    $("pg-reload-box").hidden = reason !== "replaced";
    if (reason !== "replaced") clearToken();
    setConnection("");
    show("gone");
  }

  // --- Messages ----------------------------------------------------------------------------------
  function onMessage(m) {
    switch (m.type) {
      case "joined":
        me.player = m.player;
        me.nickname = m.nickname;
        setToken(m.token);
        $("my-nickname").textContent = m.nickname;
        $("play-me").hidden = false;
        $("play-note").textContent = m.note || ""; // the server's words: why this score does not count
        $("play-note").hidden = !m.note;
        $("join-btn").disabled = false;
        setScore(m.score);
        showError("");
        if (m.state === "lobby") show("lobby");
        else if (m.state === "question" && m.question) {
          if (m.answered) {
            game.ackIndex = m.question.index;
            game.sentIndex = m.question.index;
            root.dataset.answered = m.question.index;
          }
          else if (game.sentIndex === m.question.index && game.ackIndex !== m.question.index) game.sentIndex = null;
          renderQuestion(m.question);
          if (m.answered) show("received");
        } else if (m.state === "ended") gone("ended");
        else show("wait");
        break;
      case "question":
        renderQuestion(m);
        break;
      case "answer_received":
        game.ackIndex = m.index;
        root.dataset.answered = m.index;
        game.sentIndex = m.index;
        if (game.question && m.index === game.question.index && root.dataset.view === "question") show("received");
        break;
      case "paused":
      case "resumed":
      case "time_up":
        if (game.question && m.index === game.question.index) setTimer(m.remaining_ms, m.type === "paused");
        break;
      case "result":
        renderResult(m);
        break;
      case "leaderboard":
        renderLeaderboard(m);
        break;
      case "ended":
        renderEnded(m);
        break;
      case "replaced":
        gone("replaced");
        break;
      case "error":
        onError(m);
        break;
      default:
        break; // pong and anything newer
    }
  }
  function onError(m) {
    const code = m.code;
    if (code === "kicked") { gone("kicked"); return; }
    if (code === "ended") { if (root.dataset.view !== "ended") gone("ended"); return; }
    showError(m.message || code);
    if (code === "bad_token") { clearToken(); show("join"); return; }
    if (code.startsWith("nickname_") || code === "locked" || code === "login_required") {
      $("join-btn").disabled = false;
      if (root.dataset.view !== "join") show("join");
      return;
    }
    if (code === "too_late" || code === "wrong_question") {
      if (root.dataset.view === "question") { game.timeUp = true; updateControls(); $("pq-sending").hidden = true; }
      return;
    }
    if ((code === "bad_answer" || code === "no_question" || code === "rate_limited") && game.question
        && game.sentIndex === game.question.index && game.ackIndex !== game.question.index) {
      game.sentIndex = null; // not recorded: let the player try again
      $("pq-sending").hidden = true;
      updateControls();
    }
  }

  // --- Connection: the site's socket module (static/js/socket.js: back-off, heartbeat, wake-up); a phone
  // rejoins with its token on every (re)connection ----------------------------------------------------
  let connection = null;
  let finished = false;
  function send(message) {
    if (connection && connection.send(message)) return true;
    showError(S.reconnecting);
    return false;
  }

  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const nickname = $("nickname").value.trim();
    if (!nickname) { showError(S.nickname_empty); $("nickname").focus(); return; }
    if (send({ type: "join", nickname: nickname })) $("join-btn").disabled = true;
  });
  $("pg-reload").addEventListener("click", () => window.location.reload());

  setConnection("connecting");
  connection = SiteSocket.open(root.dataset.wsPath, {
    heartbeat: true,
    jitter: 500,
    onOpen(info) {
      setConnection("connected");
      const token = getToken();
      if (token) info.socket.send(JSON.stringify({ type: "rejoin", token: token }));
      else show("join");
    },
    onMessage: onMessage,
    onClose(event) {
      if (event.code === 4403) { gone("kicked"); return false; }
      if (event.code === 4409) { gone("replaced"); return false; }
      // 4429: too many wrong PINs from this network; the error shown explains, and retrying would only count.
      if (event.code === 4429) { setConnection(""); return false; }
      if (event.code === 4404 || finished) { if (!finished) gone("ended"); return false; }
      return true;
    },
    onReconnecting() { setConnection("reconnecting"); },
  });
})();
