<?php
/**
 * The "Gold Coins" admin menu: the widget's admin view (payments, ledger, adjustments, stats) with an
 * admin token, and the settings page under it.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Admin_Page {
	const SLUG = 'goldcoin';

	public static function register(): void {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
	}

	public static function menu(): void {
		add_menu_page( __( 'Gold Coins', 'goldcoin' ), __( 'Gold Coins', 'goldcoin' ), 'manage_options', self::SLUG, array( __CLASS__, 'render' ), 'dashicons-money-alt', 58 );
		add_submenu_page( self::SLUG, __( 'Gold Coins', 'goldcoin' ), __( 'Payments and coins', 'goldcoin' ), 'manage_options', self::SLUG, array( __CLASS__, 'render' ) );
		add_submenu_page( self::SLUG, __( 'Gold Coins settings', 'goldcoin' ), __( 'Settings', 'goldcoin' ), 'manage_options', Goldcoin_Settings::PAGE, array( 'Goldcoin_Settings', 'render_page' ) );
	}

	public static function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to see this page.', 'goldcoin' ), 403 );
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'Gold Coins', 'goldcoin' ) . '</h1>';
		echo Goldcoin_Widget::element( 'admin' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped attributes
		echo '</div>';
	}
}
