<?php
/**
 * The notifications bell: [goldcoin_bell] (and its block) for themes without the admin bar, and the same bell in the
 * admin bar for logged-in users, on the front end and in wp-admin. The widget fetches the unread count from the sidecar
 * after the page has loaded, so no page ever waits on the sidecar; opening the bell marks the notifications read.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Bell {
	const NODE = 'goldcoin-bell';

	public static function register(): void {
		add_shortcode( 'goldcoin_bell', array( __CLASS__, 'shortcode' ) );
		add_action( 'admin_bar_menu', array( __CLASS__, 'admin_bar' ), 90 );
		// The admin bar is printed after the footer scripts on the front end: the script is enqueued ahead of it.
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'enqueue' ) );
	}

	/** Nothing for visitors who are not logged in: they have no notifications. */
	public static function shortcode(): string {
		return is_user_logged_in() ? Goldcoin_Widget::element( 'bell' ) : '';
	}

	/** Whether the admin bar shows the bell; the goldcoin_admin_bar_bell filter turns it off. */
	public static function in_admin_bar(): bool {
		/** Filters whether the admin bar carries the notifications bell (default: for every logged-in user). */
		return is_user_logged_in() && is_admin_bar_showing() && Goldcoin_Settings::is_configured() && (bool) apply_filters( 'goldcoin_admin_bar_bell', true );
	}

	public static function enqueue(): void {
		if ( self::in_admin_bar() ) {
			Goldcoin_Widget::enqueue( false );
			// On narrow screens the admin bar hides the items it does not know; the bell stays, as people look there.
			wp_add_inline_style( 'admin-bar', '@media screen and (max-width:782px){#wpadminbar li#wp-admin-bar-' . self::NODE . '{display:block}#wpadminbar li#wp-admin-bar-' . self::NODE . ' .ab-item{padding:7px 10px}}' );
		}
	}

	public static function admin_bar( WP_Admin_Bar $bar ): void {
		if ( ! self::in_admin_bar() ) {
			return;
		}
		$element = Goldcoin_Widget::element( 'bell', 0, array(), 'admin-bar' );
		if ( '' === $element ) {
			return;
		}
		$bar->add_node(
			array(
				'id'     => self::NODE,
				'parent' => 'top-secondary',
				'title'  => $element,
				'meta'   => array( 'title' => __( 'Notifications', 'goldcoin' ) ),
			)
		);
	}
}
