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
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'styles' ) );
	}

	/** The plugin's admin styles, only on its own screens, the post editor (the meta box) and the user screens (the Coins column, the profile section). */
	public static function styles( string $hook ): void {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		$ours   = str_contains( $hook, self::SLUG );
		$editor = null !== $screen && 'post' === $screen->base && in_array( $screen->post_type, Goldcoin_Meta_Box::post_types(), true );
		$users  = in_array( $hook, array( 'users.php', 'profile.php', 'user-edit.php' ), true );
		if ( $ours || $editor || $users ) {
			wp_enqueue_style( 'goldcoin-admin', plugins_url( 'assets/css/goldcoin-admin.css', GOLDCOIN_PLUGIN_FILE ), array(), GOLDCOIN_VERSION );
		}
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
		Goldcoin_Templates::render( 'admin-page', array( 'element' => Goldcoin_Widget::element( 'admin' ) ) );
	}
}
