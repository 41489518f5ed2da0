<?php
/**
 * Uninstall: removes the plugin's options. Coin records (balances, ledger, payments, prices) are
 * money records and stay unless the owner ticked "delete all coin data on uninstall"; so does the
 * name of the protected folder, which the EA files' attachment records still point into.
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

$goldcoin_settings = get_option( 'goldcoin_settings', array() );
$goldcoin_delete   = is_array( $goldcoin_settings ) && ! empty( $goldcoin_settings['delete_data_on_uninstall'] );

if ( $goldcoin_delete ) {
	global $wpdb;
	$goldcoin_like   = $wpdb->esc_like( $wpdb->prefix . 'goldcoin_' ) . '%';
	$goldcoin_tables = $wpdb->get_col( $wpdb->prepare( 'SHOW TABLES LIKE %s', $goldcoin_like ) );
	foreach ( $goldcoin_tables as $goldcoin_table ) {
		if ( preg_match( '/^[A-Za-z0-9_]+$/', $goldcoin_table ) ) {
			$wpdb->query( "DROP TABLE IF EXISTS `{$goldcoin_table}`" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- a table name checked above
		}
	}
	delete_post_meta_by_key( '_goldcoin_price' );
	delete_post_meta_by_key( '_goldcoin_file' );
	delete_option( 'goldcoin_protected_dir_name' );
}

delete_option( 'goldcoin_settings' );
delete_option( 'goldcoin_jwt_secret' );
