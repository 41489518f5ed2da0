<?php
/**
 * Uninstall: removes the plugin's options. Coin records (balances, ledger, payments, prices) are money
 * records and stay unless the owner ticked "delete all coin data on uninstall"; protected EA files stay
 * (and stay where no web server reaches them) unless the owner ticked "delete the protected EA files".
 * The record of protected folders stays with the files, so a reinstall keeps every one of them hidden.
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-goldcoin-settings.php';
require_once __DIR__ . '/includes/class-goldcoin-meta-box.php';
require_once __DIR__ . '/includes/class-goldcoin-protected-files.php';

$goldcoin_settings     = get_option( 'goldcoin_settings', array() );
$goldcoin_delete_data  = is_array( $goldcoin_settings ) && ! empty( $goldcoin_settings['delete_data_on_uninstall'] );
$goldcoin_delete_files = is_array( $goldcoin_settings ) && ! empty( $goldcoin_settings['delete_files_on_uninstall'] );

if ( $goldcoin_delete_files ) {
	foreach ( Goldcoin_Protected_Files::protected_attachments() as $goldcoin_attachment ) {
		Goldcoin_Protected_Files::delete_file( $goldcoin_attachment );
		delete_post_meta( $goldcoin_attachment, Goldcoin_Protected_Files::MARK_META );
	}
	foreach ( Goldcoin_Protected_Files::known_directories() as $goldcoin_dir ) {
		foreach ( array( '.htaccess', 'web.config', 'index.php' ) as $goldcoin_guard ) {
			if ( is_file( "$goldcoin_dir/$goldcoin_guard" ) ) {
				wp_delete_file( "$goldcoin_dir/$goldcoin_guard" );
			}
		}
		@rmdir( $goldcoin_dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- removed only when empty
	}
	delete_option( Goldcoin_Protected_Files::DIR_OPTION );
	delete_option( Goldcoin_Protected_Files::HISTORY_OPTION );
	delete_option( Goldcoin_Protected_Files::LEGACY_OPTION );
}

if ( $goldcoin_delete_data ) {
	global $wpdb;
	// The sidecar's own prefix when the site shares it (GOLDCOIN_TABLE_PREFIX), else its default on this site's prefix.
	$goldcoin_prefix = Goldcoin_Settings::override( 'GOLDCOIN_TABLE_PREFIX' ) ?? $wpdb->prefix . 'goldcoin_';
	if ( preg_match( '/^[A-Za-z0-9_]+$/', $goldcoin_prefix ) ) {
		$goldcoin_tables = $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $goldcoin_prefix ) . '%' ) );
		foreach ( $goldcoin_tables as $goldcoin_table ) {
			if ( preg_match( '/^[A-Za-z0-9_]+$/', $goldcoin_table ) && str_starts_with( $goldcoin_table, $goldcoin_prefix ) ) {
				$wpdb->query( "DROP TABLE IF EXISTS `{$goldcoin_table}`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- a table name checked above
			}
		}
	}
	delete_post_meta_by_key( '_goldcoin_price' );
	// The EA file links stay while the files do: they are how a reinstall finds and keeps hiding them.
	if ( $goldcoin_delete_files ) {
		delete_post_meta_by_key( '_goldcoin_file' );
	}
}

delete_option( 'goldcoin_settings' );
delete_option( 'goldcoin_jwt_secret' );
// Emails of deleted users whose erasure was still to be retried: personal data the plugin can no longer act on.
delete_option( 'goldcoin_pending_erasures' );
delete_transient( 'goldcoin_erasure_retry' );
delete_metadata( 'user', 0, 'goldcoin_referral_tried', '', true );
