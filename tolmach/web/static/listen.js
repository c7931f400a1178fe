// The review page's listening tools, for a hard passage: the playback speed (0.5x to 1.5x, the pitch
// kept), the selected line looped, and the line played from 2 s before it to its end. The buttons sit
// under the timeline; the keys come through the page's one handler (review.js onKey).
'use strict';

(function () {
  const { notify } = window.tolmach;
  const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5];
  const BEFORE_MS = 2000;

  // options: player (player.js), line() (the selected line's segment, or null)
  function createListening(options) {
    const { player } = options;
    const speed = document.getElementById('speed');
    const loopButton = document.getElementById('loop');
    const beforeButton = document.getElementById('before');
    let looping = false;

    function setSpeed(rate) {
      player.setRate(rate);
      speed.value = String(rate);
    }

    function step(by) {
      const now = SPEEDS.indexOf(Number(speed.value));
      const next = SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, now + by))];
      setSpeed(next);
      notify(`Speed ${next}×`, 'info');
    }

    // On, it plays the selected line from its start and over again; the line is asked every frame,
    // so selecting another line (J, K, a click) loops that one.
    function toggleLoop() {
      const seg = options.line();
      if (!looping && !seg) {
        notify('Select a line to loop first (J, K or a click)');
        return;
      }
      looping = !looping;
      loopButton.setAttribute('aria-pressed', String(looping));
      player.setLoop(looping ? options.line : null);
      if (!looping) return;
      const ms = player.media.currentTime * 1000;
      if (ms < seg.start || ms >= seg.end) player.seek(seg.start);
      if (player.media.paused) player.toggle();
    }

    function before() {
      const seg = options.line();
      if (!seg) {
        notify('Select a line first (J, K or a click)');
        return;
      }
      player.playRange(seg.start - BEFORE_MS, seg.end);
    }

    // Shift+[ Shift+] slower, faster; L loop; B the 2 s before. true when the key was ours. Matched by
    // character, or by position where the layout types no Latin letter there (Cyrillic ones).
    function onKey(event) {
      const { key, code, shiftKey } = event;
      const place = (c) => code === c && !/^[a-z]$/i.test(key);
      if (key === '{' || (shiftKey && place('BracketLeft'))) step(-1);
      else if (key === '}' || (shiftKey && place('BracketRight'))) step(1);
      else if (key.toLowerCase() === 'l' || place('KeyL')) toggleLoop();
      else if (key.toLowerCase() === 'b' || place('KeyB')) before();
      else return false;
      return true;
    }

    speed.addEventListener('change', () => setSpeed(Number(speed.value)));
    loopButton.addEventListener('click', toggleLoop);
    beforeButton.addEventListener('click', before);
    setSpeed(Number(speed.value) || 1);
    return { onKey };
  }

  window.tolmach.createListening = createListening;
})();
