// Shim for ncursesw: the wide-character API needs _XOPEN_SOURCE_EXTENDED before curses.h.
// Swift 6 cannot see C globals (stdscr, LINES, COLS) or function-like macros (A_BOLD,
// COLOR_PAIR), so each gets a static inline accessor here rather than a copied bit value.
#ifndef SCREENPLAN_CNCURSESW_SHIM_H
#define SCREENPLAN_CNCURSESW_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <curses.h>

static inline WINDOW *sp_stdscr(void) { return stdscr; }
static inline int sp_lines(void) { return LINES; }
static inline int sp_cols(void) { return COLS; }
static inline attr_t sp_a_normal(void) { return A_NORMAL; }
static inline attr_t sp_a_bold(void) { return A_BOLD; }
static inline attr_t sp_a_reverse(void) { return A_REVERSE; }
static inline attr_t sp_a_underline(void) { return A_UNDERLINE; }
static inline attr_t sp_a_dim(void) { return A_DIM; }
static inline attr_t sp_color_pair(short n) { return COLOR_PAIR(n); }
static inline int sp_key_resize(void) { return KEY_RESIZE; }
static inline int sp_key_up(void) { return KEY_UP; }
static inline int sp_key_down(void) { return KEY_DOWN; }
static inline int sp_key_left(void) { return KEY_LEFT; }
static inline int sp_key_right(void) { return KEY_RIGHT; }
static inline int sp_key_enter(void) { return KEY_ENTER; }
static inline int sp_key_backspace(void) { return KEY_BACKSPACE; }
static inline int sp_key_btab(void) { return KEY_BTAB; }
static inline int sp_key_npage(void) { return KEY_NPAGE; }
static inline int sp_key_ppage(void) { return KEY_PPAGE; }
static inline int sp_key_home(void) { return KEY_HOME; }
static inline int sp_key_end(void) { return KEY_END; }
static inline int sp_key_dc(void) { return KEY_DC; }
static inline int sp_key_mouse(void) { return KEY_MOUSE; }
static inline int sp_err(void) { return ERR; }
static inline int sp_ok(void) { return OK; }
static inline mmask_t sp_button1_clicked(void) { return BUTTON1_CLICKED | BUTTON1_PRESSED; }
static inline mmask_t sp_all_mouse_events(void) { return ALL_MOUSE_EVENTS; }
static inline int sp_color_black(void) { return COLOR_BLACK; }
static inline int sp_color_red(void) { return COLOR_RED; }
static inline int sp_color_green(void) { return COLOR_GREEN; }
static inline int sp_color_yellow(void) { return COLOR_YELLOW; }
static inline int sp_color_blue(void) { return COLOR_BLUE; }
static inline int sp_color_magenta(void) { return COLOR_MAGENTA; }
static inline int sp_color_cyan(void) { return COLOR_CYAN; }
static inline int sp_color_white(void) { return COLOR_WHITE; }
static inline const char *sp_codeset(void) { return nl_langinfo(CODESET); }
static inline int sp_lc_all(void) { return LC_ALL; }
/// Draws one UTF-8 string with the given attribute at (y, x); returns ERR/OK.
static inline int sp_put(int y, int x, const char *utf8, attr_t attr) {
    attr_set(attr, 0, NULL);
    return mvaddstr(y, x, utf8);
}
/// Whether a mouse event is a button-1 press or click.
static inline int sp_is_button1(mmask_t state) { return (state & (BUTTON1_CLICKED | BUTTON1_PRESSED)) != 0; }
#endif
